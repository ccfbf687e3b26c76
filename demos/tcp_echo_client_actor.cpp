// tcp_echo_client_actor: asyncio's "TCP echo client using streams" example
// on actorstreams, without coroutines (tcp_echo_client.cpp is the coroutine
// version; both print the same lines). Demonstrates open_connection, write +
// drain, read(100), close + wait_closed from a plain thread, each awaited
// with `get(timeout)` so that the program never hangs.
//
// Run:   tcp_echo_client_actor [--host 127.0.0.1] [--port 8888]
//                              [--message 'Hello World!']
//        against tcp_echo_server (or asyncio's own echo server example).

#include <streams/all.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include "demo_args.hpp"
#include "py_repr.hpp"

namespace as = actorstreams;

namespace {

constexpr auto step_timeout = std::chrono::seconds{10};

void usage(std::ostream& out) {
  out << "usage: tcp_echo_client_actor [--host H] [--port P] [--message M]\n"
         "  Sends M, prints the echo. Defaults: --host 127.0.0.1 --port 8888 "
         "--message 'Hello World!'\n";
}

int fail(std::string_view what, const caf::error& err) {
  std::cerr << "tcp_echo_client_actor: " << what << ": " << as::describe(err)
            << std::endl;
  return EXIT_FAILURE;
}

} // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  uint16_t port = 8888;
  std::string message = "Hello World!";
  if (auto code = demos::parse_args(argc, argv, "tcp_echo_client_actor", usage, host,
                                    port, {{"--message", &message}}))
    return *code;
  as::runtime rt;
  auto conn = as::open_connection(rt.system(), host, port).get(step_timeout);
  if (!conn)
    return fail("cannot connect", conn.error());
  auto [reader, writer] = *conn;

  std::cout << "Send: " << demos::py_repr(message) << std::endl;
  writer.write(message);
  if (auto drained = writer.drain().get(step_timeout); !drained)
    return fail("cannot send", drained.error());

  auto data = reader.read(100).get(step_timeout);
  if (!data)
    return fail("cannot receive", data.error());
  std::cout << "Received: " << demos::py_repr(*data) << std::endl;

  std::cout << "Close the socket" << std::endl;
  writer.close();
  if (auto closed = writer.wait_closed().get(step_timeout); !closed)
    return fail("cannot close", closed.error());
  return EXIT_SUCCESS;
}
