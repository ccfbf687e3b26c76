// push_echo_server: a line echo server in push mode (docs/push.md), the
// actor-native way to read: each connection cuts its stream into lines and
// sends them to its handler actor, at most 16 ahead of what the handler has
// granted; the handler writes each line back one-way and grants more once
// its writes have drained, so a client that sends without reading backs up
// its own socket instead of the server's memory. Its request/reply sibling
// is tcp_echo_server_actor (one readline per line would be the same with
// `then`).
//
// Run:   push_echo_server [--host 127.0.0.1] [--port 8888]
//        (--port 0 picks a free port; the first line shows the real one)
// Try:   printf 'one\ntwo\n' | nc -q1 127.0.0.1 8888
// Stop:  Ctrl-C or kill -TERM <pid>; exits 0.
//
// Each client's end is logged: "Echoed N lines to 'HOST:PORT'", and a line
// over the limit (64 KiB) is skipped with "Skipped an over-long line from
// 'HOST:PORT'".

#include <streams/all.hpp>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "demo_args.hpp"
#include "print_line.hpp"
#include "py_repr.hpp"
#include "stop_signals.hpp"

namespace as = actorstreams;

namespace {

/// Lines the connection may send ahead of the handler.
constexpr std::size_t window = 16;

/// The handler grants this many at a time, once its writes have drained.
constexpr std::size_t grant_step = 8;

struct echo_state {
  std::size_t echoed = 0;
  /// Frames handled since the last grant.
  std::size_t handled = 0;
  std::string peer;
};

caf::behavior push_echo(caf::event_based_actor* self, as::stream_reader reader,
                        as::stream_writer writer) {
  auto st = std::make_shared<echo_state>();
  writer.get_extra_info("peername")
    .then(
      self, [st](as::bytes peer) { st->peer = demos::py_repr(peer); },
      [](caf::error) {});
  reader.subscribe(caf::actor{self}, as::framing::lines(), window);
  // One more frame handled; every grant_step of them, the credit comes back
  // once the writes so far have drained (drain replies at once below the
  // high-water mark).
  auto handled = [self, reader, writer, st] {
    if (++st->handled < grant_step)
      return;
    st->handled = 0;
    writer.drain().then(
      self, [reader] { reader.grant(grant_step); },
      [self, writer](caf::error) {
        // The client is gone or broke: so is this actor; its connection
        // ends the subscription when it sees that.
        writer.close();
        self->quit();
      });
  };
  return {
    [writer, st, handled](as::frame_atom, const as::connection_actor&,
                          as::bytes& line) {
      writer.write(std::move(line));
      ++st->echoed;
      handled();
    },
    [st, handled](as::frame_atom, const as::connection_actor&,
                  const caf::error&) {
      demos::print_line("Skipped an over-long line from " + st->peer);
      handled();
    },
    [self, writer, st](as::stream_end_atom, const as::connection_actor&,
                       const caf::error& reason) {
      // closed: the server is shutting down; nothing to report.
      if (as::as_stream_errc(reason) == as::stream_errc::closed) {
        self->quit();
        return;
      }
      if (reason)
        std::cerr << "push_echo_server: " << st->peer << ": "
                  << as::describe(reason) << std::endl;
      demos::print_line("Echoed " + std::to_string(st->echoed) + " lines to "
                        + st->peer);
      writer.close();
      self->quit();
    },
  };
}

void usage(std::ostream& out) {
  out << "usage: push_echo_server [--host H] [--port P]\n"
         "  Echoes every line of every client, in push mode.\n"
         "  Defaults: --host 127.0.0.1 --port 8888; --port 0 picks a free "
         "port.\n";
}

} // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  uint16_t port = 8888;
  if (auto code = demos::parse_args(argc, argv, "push_echo_server", usage,
                                    host, port))
    return *code;
  // Before the runtime starts its threads: only wait_for_stop sees them.
  auto stop_signals = demos::block_stop_signals();
  {
    as::runtime rt;
    auto srv = as::start_server(rt.system(), push_echo, host, port)
                 .get(std::chrono::seconds{10});
    if (!srv) {
      std::cerr << "push_echo_server: cannot serve on " << host << ":" << port
                << ": " << as::describe(srv.error()) << std::endl;
      return EXIT_FAILURE;
    }
    demos::print_line("Serving on " + demos::join_addresses(srv->addresses()));
    demos::wait_for_stop(stop_signals);
    srv->close();
  } // the runtime shuts down here
  return EXIT_SUCCESS;
}
