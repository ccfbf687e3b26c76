// tcp_echo_client: asyncio's "TCP echo client using streams" example on
// actorstreams, as a coroutine that reads like the Python original:
// open_connection, write + drain, read(100), close + wait_closed, each
// `co_await`ed with a timeout so that the program never hangs. The
// actor-style version, with the same flags and output, is
// tcp_echo_client_actor.cpp; docs/coroutines.md shows both beside asyncio's.
//
// Run:   tcp_echo_client [--host 127.0.0.1] [--port 8888]
//                        [--message 'Hello World!']
//        against tcp_echo_server (or asyncio's own echo server example).

#include <streams/all.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

#include "demo_args.hpp"
#include "py_repr.hpp"

namespace as = actorstreams;

namespace {

constexpr auto step_timeout = std::chrono::seconds{10};

as::task<void> tcp_echo_client(caf::actor_system& sys, std::string host,
                               uint16_t port, std::string message) {
  auto [reader, writer] = co_await as::open_connection(sys, host, port)
                            .with_timeout(step_timeout);

  std::cout << "Send: " << demos::py_repr(message) << std::endl;
  writer.write(message);
  co_await writer.drain().with_timeout(step_timeout);

  auto data = co_await reader.read(100).with_timeout(step_timeout);
  std::cout << "Received: " << demos::py_repr(data) << std::endl;

  std::cout << "Close the socket" << std::endl;
  writer.close();
  co_await writer.wait_closed().with_timeout(step_timeout);
}

void usage(std::ostream& out) {
  out << "usage: tcp_echo_client [--host H] [--port P] [--message M]\n"
         "  Sends M, prints the echo. Defaults: --host 127.0.0.1 --port 8888 "
         "--message 'Hello World!'\n";
}

} // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  uint16_t port = 8888;
  std::string message = "Hello World!";
  if (auto code = demos::parse_args(argc, argv, "tcp_echo_client", usage, host,
                                    port, {{"--message", &message}}))
    return *code;
  as::runtime rt;
  try {
    // asyncio.run(tcp_echo_client('Hello World!'))
    as::run(rt.system(), tcp_echo_client(rt.system(), host, port, message));
  } catch (const as::stream_error& e) {
    std::cerr << "tcp_echo_client: " << e.what() << std::endl;
    return EXIT_FAILURE;
  }
  return EXIT_SUCCESS;
}
