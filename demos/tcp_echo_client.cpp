// tcp_echo_client: asyncio's "TCP echo client using streams" example on
// actorstreams. Demonstrates open_connection, write + drain, read(100),
// close + wait_closed from a plain thread, each awaited with `get(timeout)`
// so that the program never hangs.
//
// Run:   tcp_echo_client [--host 127.0.0.1] [--port 8888]
//                        [--message 'Hello World!']
//        against tcp_echo_server (or asyncio's own echo server example).

#include <streams/all.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include "py_repr.hpp"

namespace as = actorstreams;

namespace {

constexpr auto step_timeout = std::chrono::seconds{10};

void usage(std::ostream& out) {
  out << "usage: tcp_echo_client [--host H] [--port P] [--message M]\n"
         "  Sends M, prints the echo. Defaults: --host 127.0.0.1 --port 8888 "
         "--message 'Hello World!'\n";
}

bool parse_port(std::string_view text, uint16_t& port) {
  if (text.empty() || text.size() > 5)
    return false;
  unsigned long value = 0;
  for (char ch : text) {
    if (ch < '0' || ch > '9')
      return false;
    value = value * 10 + static_cast<unsigned long>(ch - '0');
  }
  if (value > 65535)
    return false;
  port = static_cast<uint16_t>(value);
  return true;
}

int fail(std::string_view what, const caf::error& err) {
  std::cerr << "tcp_echo_client: " << what << ": " << as::describe(err)
            << std::endl;
  return EXIT_FAILURE;
}

} // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  uint16_t port = 8888;
  std::string message = "Hello World!";
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      usage(std::cout);
      return 0;
    }
    if ((arg == "--host" || arg == "--port" || arg == "--message")
        && i + 1 < argc) {
      std::string_view value = argv[++i];
      if (arg == "--host") {
        host = value;
      } else if (arg == "--message") {
        message = value;
      } else if (!parse_port(value, port)) {
        std::cerr << "tcp_echo_client: bad port: " << value << "\n";
        return 2;
      }
      continue;
    }
    std::cerr << "tcp_echo_client: unexpected argument: " << arg << "\n";
    usage(std::cerr);
    return 2;
  }
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
