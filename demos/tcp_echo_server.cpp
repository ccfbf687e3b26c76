// tcp_echo_server: asyncio's "TCP echo server using streams" example on
// actorstreams, with a coroutine per client that reads like the Python
// original: start_server runs `handle_echo` as one task, in one actor, per
// connection, and nothing blocks a thread while a client is slow. The
// actor-style version, with the same flags and output, is
// tcp_echo_server_actor.cpp; docs/coroutines.md shows both beside asyncio's.
//
// The handler, `demos::handle_echo`, is in echo_handlers.hpp
// (tests/demos/demo_protocol_test.cpp tests it with the test kit).
//
// Run:   tcp_echo_server [--host 127.0.0.1] [--port 8888]
//        (--port 0 picks a free port; the first line shows the real one)
// Try:   tcp_echo_client --port 8888 --message 'Hello World!'
// Stop:  Ctrl-C or kill -TERM <pid>; exits 0.

#include <streams/all.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

#include "demo_args.hpp"
#include "echo_handlers.hpp"
#include "print_line.hpp"
#include "py_repr.hpp"
#include "stop_signals.hpp"

namespace as = actorstreams;

namespace {

/// asyncio's `main()` up to serve_forever: the server, once it listens.
as::task<as::server> start(caf::actor_system& sys, std::string host,
                           uint16_t port) {
  auto server = co_await as::start_server(sys, demos::handle_echo, host, port);
  demos::print_line("Serving on " + demos::join_addresses(server.addresses()));
  co_return server;
}

void usage(std::ostream& out) {
  out << "usage: tcp_echo_server [--host H] [--port P]\n"
         "  Echoes the first message (up to 100 bytes) of each client.\n"
         "  Defaults: --host 127.0.0.1 --port 8888; --port 0 picks a free "
         "port.\n";
}

} // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  uint16_t port = 8888;
  if (auto code = demos::parse_args(argc, argv, "tcp_echo_server", usage, host,
                                    port))
    return *code;
  // Before the runtime starts its threads: only wait_for_stop sees them.
  auto stop_signals = demos::block_stop_signals();
  {
    as::runtime rt;
    as::server server;
    try {
      server = as::run(rt.system(), start(rt.system(), host, port));
    } catch (const as::stream_error& e) {
      std::cerr << "tcp_echo_server: cannot serve on " << host << ":" << port
                << ": " << e.what() << std::endl;
      return EXIT_FAILURE;
    }
    // serve_forever, until Ctrl-C or SIGTERM.
    demos::wait_for_stop(stop_signals);
    // Stop accepting. The handler tasks still running are cancelled when the
    // runtime shuts down, as asyncio.run cancels them on Ctrl-C.
    server.close();
  } // the runtime shuts down here
  return EXIT_SUCCESS;
}
