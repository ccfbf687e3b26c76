// When a connection actor goes away: it lives while handles to it exist,
// not while a timer or a dead requester's parked request refers to it.
#include "actors/connection_actor.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_support.hpp"

namespace actorstreams {
namespace {

using namespace std::chrono_literals;
using testing::value_of;

/// A socketpair: `conn` is one end adopted by a connection actor, `peer` the
/// other end, raw.
struct adopted_pair {
  std::optional<connection> conn;
  int peer = -1;

  ~adopted_pair() {
    if (peer >= 0)
      ::close(peer);
  }
};

adopted_pair make_adopted_pair(caf::actor_system& sys) {
  adopted_pair result;
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) {
    ADD_FAILURE() << "socketpair failed";
    return result;
  }
  result.peer = fds[1];
  result.conn = value_of(open_connection(sys, fds[0]).get(2s));
  return result;
}

/// Whether the raw end sees EOF (the adopted end closed) within `timeout`.
bool peer_sees_eof(int fd, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[256];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) == 1) {
      auto n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
      if (n == 0)
        return true;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
        return true; // reset: closed as well
    }
  }
  return false;
}

class ConnectionLifetime : public testing::runtime_test {};

TEST_F(ConnectionLifetime, ATimedReadThatCompletedDoesNotKeepTheSocketOpen) {
  auto pair = make_adopted_pair(sys());
  ASSERT_TRUE(pair.conn);
  // The read waits (the timer is armed for a minute), then completes.
  auto pending_line = pair.conn->reader.readline();
  ASSERT_EQ(::send(pair.peer, "hello\n", 6, MSG_NOSIGNAL), 6);
  EXPECT_EQ(value_of(pending_line.get(60s)), "hello\n");
  // Dropping the last handle closes the socket now, not in a minute.
  pair.conn.reset();
  EXPECT_TRUE(peer_sees_eof(pair.peer, 5000ms));
}

TEST_F(ConnectionLifetime, ATimedReadStillWaitingDoesNotKeepTheSocketOpen) {
  auto pair = make_adopted_pair(sys());
  ASSERT_TRUE(pair.conn);
  // A requester actor parks a readline with a one-minute deadline, then
  // quits: its request is dropped and nothing holds the connection.
  auto reader = pair.conn->reader;
  auto requester = sys().spawn(
    [](caf::event_based_actor* self, stream_reader r) {
      r.readline().then(self, 60s, [](bytes) {}, [](caf::error) {});
      self->quit();
    },
    reader);
  pair.conn.reset();
  reader = stream_reader{};
  requester = nullptr;
  EXPECT_TRUE(peer_sees_eof(pair.peer, 5000ms));
}

TEST_F(ConnectionLifetime, ARequesterThatQuitsLeavesItsBytesForTheNextReader) {
  auto pair = make_adopted_pair(sys());
  ASSERT_TRUE(pair.conn);
  auto reader = pair.conn->reader;
  // A requester parks a readexactly(10), then quits before the data comes.
  caf::actor requester = sys().spawn(
    [](caf::event_based_actor* self, stream_reader r) -> caf::behavior {
      r.readexactly(10).then(self, [](bytes) {}, [](caf::error) {});
      return {[self](caf::ok_atom) { self->quit(); }};
    },
    reader);
  // Its request is parked (a readline behind it would wait too) ...
  caf::anon_send(requester, caf::ok_atom_v);
  {
    caf::scoped_actor self{sys(), true};
    self->monitor(requester);
    self->receive([](caf::down_msg&) {});
  }
  requester = nullptr;
  // ... and is dropped: the ten bytes go to the next reader, whole.
  ASSERT_EQ(::send(pair.peer, "0123456789", 10, MSG_NOSIGNAL), 10);
  EXPECT_EQ(value_of(reader.readexactly(10).get(2s)), "0123456789");
}

} // namespace
} // namespace actorstreams
