// tcp_echo_server_actor: asyncio's "TCP echo server using streams" example
// on actorstreams, without coroutines (tcp_echo_server.cpp is the coroutine
// version; both print the same lines). Demonstrates start_server with a
// per-connection actor handler (`caf::behavior(caf::event_based_actor*,
// stream_reader, stream_writer)`) whose steps chain with `then(self, ...)`,
// so that nothing blocks inside an actor, and a clean shutdown on
// SIGINT/SIGTERM.
//
// The handler, `demos::handle_echo_actor`, is in echo_handlers.hpp.
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
#include "echo_handlers.hpp"
#include "print_line.hpp"
#include "py_repr.hpp"
#include "stop_signals.hpp"

namespace as = actorstreams;

namespace {

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
    auto srv = as::start_server(rt.system(), demos::handle_echo_actor, host, port)
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
