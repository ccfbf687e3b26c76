// wait_for_data: asyncio's "Register an open socket to wait for data using
// streams" example on actorstreams, as a coroutine that reads like the
// Python original: one end of a socketpair is adopted with
// `open_connection(sys, fd)` (asyncio's `sock=`), the other end sends "abc"
// with a plain ::send, and the task awaits it without blocking a thread.
// The actor-style version, with the same output, is wait_for_data_actor.cpp;
// docs/coroutines.md shows both beside asyncio's.
//
// Run:   wait_for_data        (prints "Received: abc")

#include <streams/all.hpp>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <string>

#include <sys/socket.h>
#include <unistd.h>

namespace as = actorstreams;

namespace {

constexpr auto step_timeout = std::chrono::seconds{10};

/// `rsock` is the socket to adopt, `wsock` its peer (the test's network).
as::task<void> wait_for_data(caf::actor_system& sys, int rsock, int wsock) {
  // Register the open socket to wait for data; from here on the connection
  // owns rsock (a socket it cannot adopt stays the caller's).
  auto [reader, writer] = co_await as::open_connection(sys, rsock)
                            .with_timeout(step_timeout);

  // Simulate the reception of data from the network.
  if (::send(wsock, "abc", 3, MSG_NOSIGNAL) != 3)
    throw std::runtime_error(std::string{"send: "} + std::strerror(errno));

  // Wait for data
  auto data = co_await reader.read(100).with_timeout(step_timeout);

  // Got data, we are done: close the socket
  std::cout << "Received: " << data << std::endl;
  writer.close();
  co_await writer.wait_closed().with_timeout(step_timeout);
}

} // namespace

int main() {
  // rsock, wsock = socket.socketpair()
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    std::cerr << "wait_for_data: socketpair: " << std::strerror(errno)
              << std::endl;
    return EXIT_FAILURE;
  }
  int rc = EXIT_SUCCESS;
  {
    as::runtime rt;
    try {
      as::run(rt.system(), wait_for_data(rt.system(), fds[0], fds[1]));
    } catch (const std::exception& e) {
      std::cerr << "wait_for_data: " << e.what() << std::endl;
      rc = EXIT_FAILURE;
    }
  }
  // Close the second socket. The first is the connection's, which closed
  // it; one that could not be adopted is left to the process's exit.
  ::close(fds[1]);
  return rc;
}
