// wait_for_data_actor: asyncio's "Register an open socket to wait for data
// using streams" example on actorstreams, without coroutines
// (wait_for_data.cpp is the coroutine version; both print the same line).
// Demonstrates adopting an already connected socket with
// `open_connection(sys, fd)` (asyncio's `sock=`) from a plain thread: one end
// of a socketpair becomes a connection, the other end sends "abc" with a
// plain ::send, and the reader waits for it.
//
// Run:   wait_for_data_actor        (prints "Received: abc")

#include <streams/all.hpp>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include <sys/socket.h>
#include <unistd.h>

namespace as = actorstreams;

namespace {

constexpr auto step_timeout = std::chrono::seconds{10};

int fail(const char* what, const caf::error& err) {
  std::cerr << "wait_for_data_actor: " << what << ": " << as::describe(err)
            << std::endl;
  return EXIT_FAILURE;
}

} // namespace

int main() {
  // rsock, wsock = socket.socketpair()
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    std::cerr << "wait_for_data_actor: socketpair: " << std::strerror(errno)
              << std::endl;
    return EXIT_FAILURE;
  }
  int rsock = fds[0];
  int wsock = fds[1];
  int rc = EXIT_SUCCESS;
  {
    as::runtime rt;
    // Register the open socket to wait for data; from here on the
    // connection owns rsock.
    auto conn = as::open_connection(rt.system(), rsock).get(step_timeout);
    if (!conn) {
      ::close(rsock);
      ::close(wsock);
      return fail("cannot adopt the socket", conn.error());
    }
    auto [reader, writer] = *conn;

    // Simulate the reception of data from the network.
    if (::send(wsock, "abc", 3, MSG_NOSIGNAL) != 3) {
      std::cerr << "wait_for_data_actor: send: " << std::strerror(errno)
                << std::endl;
      rc = EXIT_FAILURE;
    } else if (auto data = reader.read(100).get(step_timeout); !data) {
      rc = fail("cannot receive", data.error());
    } else {
      std::cout << "Received: " << *data << std::endl;
    }

    writer.close();
    if (auto closed = writer.wait_closed().get(step_timeout); !closed)
      rc = fail("cannot close", closed.error());
  }
  ::close(wsock);
  return rc;
}
