// tcp_echo_server_actor: asyncio's "TCP echo server using streams" example
// on actorstreams, without coroutines (tcp_echo_server.cpp is the coroutine
// version; both print the same lines). Demonstrates start_server with a
// per-connection actor handler (`caf::behavior(caf::event_based_actor*,
// stream_reader, stream_writer)`) whose steps chain with `then(self, ...)`,
// so that nothing blocks inside an actor, and a clean shutdown on
// SIGINT/SIGTERM.
//
// Run:   tcp_echo_server_actor [--host 127.0.0.1] [--port 8888]
//        (--port 0 picks a free port; the first line shows the real one)
// Try:   tcp_echo_client_actor --port 8888 --message 'Hello World!'
// Stop:  Ctrl-C or kill -TERM <pid>; exits 0.

#include <streams/all.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

#include "demo_args.hpp"
#include "print_line.hpp"
#include "py_repr.hpp"
#include "stop_signals.hpp"

namespace as = actorstreams;

namespace {

/// Reports a failed step on stderr and gives up on the client. `closed`
/// means that we closed the connection (the server is shutting down), so
/// there is nothing to report.
auto give_up(as::stream_writer writer, std::string what) {
  return [writer, what](caf::error err) {
    if (as::as_stream_errc(err) != as::stream_errc::closed)
      std::cerr << "tcp_echo_server_actor: " << what << ": " << as::describe(err)
                << std::endl;
    writer.close();
  };
}

/// One actor per client: read up to 100 bytes, echo them, close.
caf::behavior handle_echo(caf::event_based_actor* self,
                          as::stream_reader reader, as::stream_writer writer) {
  reader.read(100).then(
    self,
    [self, writer](as::bytes data) {
      writer.get_extra_info("peername")
        .then(
          self,
          [self, writer, data](as::bytes peer) {
            auto message = demos::py_repr(data);
            demos::print_line("Received " + message + " from " + demos::py_repr(peer));
            demos::print_line("Send: " + message);
            writer.write(data);
            writer.drain().then(
              self,
              [self, writer] {
                demos::print_line("Close the client socket");
                writer.close();
                writer.wait_closed().then(
                  self, [] {}, give_up(writer, "wait_closed"));
              },
              give_up(writer, "drain"));
          },
          give_up(writer, "get_extra_info"));
    },
    give_up(writer, "read"));
  // No behavior of its own: the actor lives while its requests are pending
  // and terminates after the last reply.
  return {};
}

void usage(std::ostream& out) {
  out << "usage: tcp_echo_server_actor [--host H] [--port P]\n"
         "  Echoes the first message (up to 100 bytes) of each client.\n"
         "  Defaults: --host 127.0.0.1 --port 8888; --port 0 picks a free "
         "port.\n";
}

} // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  uint16_t port = 8888;
  if (auto code = demos::parse_args(argc, argv, "tcp_echo_server_actor", usage, host,
                                    port))
    return *code;
  // Before the runtime starts its threads: only wait_for_stop sees them.
  auto stop_signals = demos::block_stop_signals();
  {
    as::runtime rt;
    auto srv = as::start_server(rt.system(), handle_echo, host, port)
                 .get(std::chrono::seconds{10});
    if (!srv) {
      std::cerr << "tcp_echo_server_actor: cannot serve on " << host << ":" << port
                << ": " << as::describe(srv.error()) << std::endl;
      return 1;
    }
    demos::print_line("Serving on " + demos::join_addresses(srv->addresses()));
    demos::wait_for_stop(stop_signals);
    // Stop accepting. Clients still connected are cut off with everything
    // else when the runtime shuts down, as asyncio.run cancels the handler
    // tasks on Ctrl-C.
    srv->close();
  } // the runtime shuts down here
  return EXIT_SUCCESS;
}
