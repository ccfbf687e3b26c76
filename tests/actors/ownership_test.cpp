// Connection ownership (owner_atom, stream_writer::set_owner): a connection
// closes once its owner is gone and no new owner came within the grace.
// On the test kit's deterministic runtime: the 5 s grace is virtual.
#include "streams/memory_pair.hpp"
#include "streams/testing.hpp"

#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

#include "test_support.hpp"

namespace actorstreams::testing {
namespace {

using namespace std::chrono_literals;

caf::behavior keeper(caf::event_based_actor*) {
  return {[](connected_atom, const connection&) {}};
}

class Ownership : public ::testing::Test {
protected:
  deterministic_runtime rt;

  caf::actor_system& sys() { return rt.system(); }

  bool closing(const connection& c) {
    return value_of(rt.await(c.writer.is_closing()));
  }
};

TEST_F(Ownership, AConnectionClosesWhenTheGraceAfterItsOwnersEndRunsOut) {
  auto [a, b] = make_memory_pair(sys());
  auto owner = sys().spawn(keeper);
  ASSERT_TRUE(succeeded(rt.await(a.writer.set_owner(owner))));
  a.writer.write("last words");
  caf::anon_send_exit(owner, caf::exit_reason::kill);
  rt.run();
  rt.advance_time(default_owner_grace - 1ms);
  rt.run();
  EXPECT_FALSE(closing(a)) << "closed before the grace ran out";
  rt.advance_time(1ms);
  rt.run();
  EXPECT_TRUE(closing(a));
  // Its queued writes went out first: the peer reads them, then EOF.
  EXPECT_EQ(value_of(rt.await(b.reader.read())), "last words");
}

TEST_F(Ownership, ANewOwnerWithinTheGraceKeepsItOpen) {
  auto [a, b] = make_memory_pair(sys());
  auto first = sys().spawn(keeper);
  auto second = sys().spawn(keeper);
  ASSERT_TRUE(succeeded(rt.await(a.writer.set_owner(first))));
  caf::anon_send_exit(first, caf::exit_reason::kill);
  rt.run();
  rt.advance_time(4s);
  ASSERT_TRUE(succeeded(rt.await(a.writer.set_owner(second))));
  rt.advance_time(1min);
  rt.run();
  EXPECT_FALSE(closing(a));
  // The new owner's end starts the grace again.
  caf::anon_send_exit(second, caf::exit_reason::kill);
  rt.run();
  rt.advance_time(default_owner_grace);
  rt.run();
  EXPECT_TRUE(closing(a));
}

TEST_F(Ownership, ATerminatedOwnerCountsAsGoneAtOnce) {
  auto [a, b] = make_memory_pair(sys());
  auto owner = sys().spawn(keeper);
  caf::anon_send_exit(owner, caf::exit_reason::kill);
  rt.run();
  ASSERT_TRUE(succeeded(rt.await(a.writer.set_owner(owner))));
  rt.advance_time(default_owner_grace);
  rt.run();
  EXPECT_TRUE(closing(a));
}

TEST_F(Ownership, AReleasedConnectionLivesByItsHandles) {
  auto [a, b] = make_memory_pair(sys());
  auto owner = sys().spawn(keeper);
  ASSERT_TRUE(succeeded(rt.await(a.writer.set_owner(owner))));
  ASSERT_TRUE(succeeded(rt.await(a.writer.set_owner(caf::actor{}))));
  caf::anon_send_exit(owner, caf::exit_reason::kill);
  rt.run();
  rt.advance_time(1h);
  rt.run();
  EXPECT_FALSE(closing(a));
}

TEST_F(Ownership, AnOrphanWhosePeerStoppedReadingIsAborted) {
  auto [a, b] = make_memory_pair(sys());
  auto owner = sys().spawn(keeper);
  ASSERT_TRUE(succeeded(rt.await(a.writer.set_owner(owner))));
  // More than every buffer on the way holds: the writer pauses.
  bytes sent;
  while (sent.size() < 4 * default_limit + default_write_high_water
                         + net::default_read_window) {
    auto piece = pattern(16 * 1024, static_cast<unsigned>(sent.size()));
    sent += piece;
    a.writer.write(std::move(piece));
  }
  EXPECT_EQ(code_of(error_of(rt.await(a.writer.drain(), 1s))),
            stream_errc::timeout);
  caf::anon_send_exit(owner, caf::exit_reason::kill);
  rt.run();
  rt.advance_time(default_owner_grace);
  rt.run();
  // Aborted, not left waiting for a reader that may never come: the peer
  // gets what it had taken, then the end.
  EXPECT_TRUE(succeeded(rt.await(a.writer.wait_closed())));
  auto got = value_of(rt.await(b.reader.read()));
  EXPECT_LT(got.size(), sent.size());
  EXPECT_EQ(got, sent.substr(0, got.size()));
}

} // namespace
} // namespace actorstreams::testing
