#include "streams/pending.hpp"

// Tier 2: pending<T>, the one request type behind every operation: lazy,
// awaited once, by get(), get(timeout), then(self, ...) or release().

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "test_support.hpp"

namespace actorstreams {
namespace {

using namespace std::chrono_literals;
using testing::bound;
using testing::code_of;
using testing::error_of;
using testing::value_of;


/// The error of `x` and its stream_errc, for one-line assertions.
template <class T>
stream_errc errc_of(caf::expected<T> x) {
  return code_of(error_of(std::move(x)));
}

class Pending : public testing::runtime_test {
protected:
  caf::scoped_actor self{sys(), true};

  /// What a probe's handler reported: ("value", payload) or ("error", text).
  struct report {
    std::string tag;
    std::string payload;
  };

  /// Spawns an event-based actor that runs `start` in its own context; its
  /// handlers send `(tag, payload)` to `self` (use `reporter`). The probe
  /// is killed when the test ends, even if it fails early.
  void spawn_probe(std::function<void(caf::event_based_actor*)> start) {
    // `start` goes in as a spawn argument: CAF 0.17 dereferences a null
    // argument tuple for a function spawned without any (UBSan reports it).
    probe_ = sys().spawn<caf::hidden>(
      [](caf::event_based_actor* probe,
         const std::function<void(caf::event_based_actor*)>& start) {
        start(probe);
        return caf::behavior{[](caf::ok_atom) {}};
      },
      std::move(start));
  }

  /// A function for a probe's handlers that sends a report to `self`.
  std::function<void(std::string, std::string)>
  reporter(caf::event_based_actor* probe) {
    auto buddy = caf::actor_cast<caf::actor>(self);
    return [probe, buddy](std::string tag, std::string payload) {
      probe->send(buddy, std::move(tag), std::move(payload));
    };
  }

  /// The next report from the probe (bounded wait).
  std::optional<report> next_report() {
    std::optional<report> result;
    self->receive(
      [&](std::string& tag, std::string& payload) {
        EXPECT_EQ(self->current_sender(),
                  caf::actor_cast<caf::strong_actor_ptr>(probe_))
          << "the report did not come from the probe";
        result = report{std::move(tag), std::move(payload)};
      },
      caf::after(bound) >> [] { ADD_FAILURE() << "no report from the probe"; });
    return result;
  }

  void TearDown() override {
    if (probe_)
      caf::anon_send_exit(probe_, caf::exit_reason::user_shutdown);
  }

  caf::actor probe_;
};

// -- laziness -----------------------------------------------------------------

TEST_F(Pending, NothingIsSentBeforeItIsAwaited) {
  auto r = make_stream_reader(sys());
  auto early = r.readexactly(2); // created first ...
  r.feed_data("abcd");
  // ... but sent only when awaited: a later request overtakes it.
  EXPECT_EQ(value_of(r.readexactly(2).get(bound)), "ab");
  EXPECT_EQ(value_of(early.get(bound)), "cd");
}

TEST_F(Pending, APendingFromASpawnerSpawnsOnlyWhenAwaited) {
  auto r = make_stream_reader(sys());
  r.feed_data("xyz");
  std::atomic<int> spawned{0};
  pending<bytes> p{[&]() -> caf::expected<caf::actor> {
                     ++spawned;
                     return caf::actor_cast<caf::actor>(r.handle());
                   },
                   caf::make_message(read_atom_v, int64_t{2})};
  EXPECT_EQ(spawned, 0);
  EXPECT_EQ(value_of(p.get(bound)), "xy");
  EXPECT_EQ(spawned, 1);
  EXPECT_EQ(errc_of(p.get(bound)), stream_errc::invalid_argument);
  EXPECT_EQ(spawned, 1);
}

TEST_F(Pending, ASpawnerThatFailsFailsTheAwait) {
  pending<bytes> p{[]() -> caf::expected<caf::actor> {
                     return make_error(stream_errc::connect_failed, "nope");
                   },
                   caf::make_message(read_atom_v, int64_t{2})};
  EXPECT_EQ(errc_of(p.get(bound)), stream_errc::connect_failed);
}

TEST_F(Pending, APendingWithoutAnActorFailsWithClosed) {
  pending<bytes> p{caf::actor{}, caf::make_message(read_atom_v, int64_t{1})};
  EXPECT_EQ(errc_of(p.get(bound)), stream_errc::closed);
}

TEST_F(Pending, ARequestToAGoneActorFailsWithClosed) {
  auto r = make_stream_reader(sys());
  self->monitor(r.handle());
  caf::anon_send_exit(r.handle(), caf::exit_reason::kill);
  bool down = false;
  self->receive([&](caf::down_msg&) { down = true; },
                caf::after(bound) >> [] { ADD_FAILURE() << "still alive"; });
  ASSERT_TRUE(down);
  EXPECT_EQ(errc_of(r.read().get(bound)), stream_errc::closed);
  EXPECT_EQ(errc_of(r.at_eof().get(bound)), stream_errc::closed);
}

TEST_F(Pending, AMovedPendingCarriesTheRequest) {
  auto r = make_stream_reader(sys());
  r.feed_data("moved\n");
  auto p = r.readline();
  auto q = std::move(p);
  EXPECT_EQ(value_of(q.get(bound)), "moved\n");
}

// -- get ----------------------------------------------------------------------

TEST_F(Pending, GetWithATimeoutOnANonReadRequestFailsWithTimeout) {
  auto [a, b] = make_memory_pair(sys());
  // wait_closed has no receiver deadline: CAF's request timeout gives up.
  auto p = a.writer.wait_closed();
  EXPECT_FALSE(p.receiver_deadline());
  auto err = error_of(p.get(50ms));
  EXPECT_EQ(code_of(err), stream_errc::timeout);
  EXPECT_EQ(describe(err), "timeout: the request timed out");
  // The connection is unharmed.
  a.writer.write("still here\n");
  EXPECT_EQ(value_of(b.reader.readline().get(bound)), "still here\n");
}

TEST_F(Pending, GetWithATimeoutReturnsAValueInTime) {
  auto r = make_stream_reader(sys());
  EXPECT_FALSE(value_of(r.at_eof().get(bound)));
  r.feed_eof();
  EXPECT_TRUE(value_of(r.at_eof().get(bound)));
  auto [a, b] = make_memory_pair(sys());
  EXPECT_EQ(value_of(a.writer.get_extra_info("peername").get(bound)),
            "memory:b");
}

TEST_F(Pending, AReadsTimeoutIsEnforcedByTheActor) {
  auto r = make_stream_reader(sys());
  auto p = r.readline();
  EXPECT_TRUE(p.receiver_deadline());
  auto err = error_of(p.get(30ms));
  EXPECT_EQ(code_of(err), stream_errc::timeout);
  EXPECT_EQ(describe(err),
            "timeout: readline() timed out; nothing was consumed");
}

TEST_F(Pending, AVoidPendingReportsSuccessAndFailure) {
  auto [a, b] = make_memory_pair(sys());
  caf::expected<void> ok = a.writer.drain().get(bound);
  EXPECT_TRUE(ok);
  a.writer.close();
  caf::expected<void> closed = a.writer.drain().get(bound);
  ASSERT_FALSE(closed);
  EXPECT_EQ(code_of(closed.error()), stream_errc::closed);
}

// -- then ---------------------------------------------------------------------

TEST_F(Pending, ThenDeliversAValueInTheActorsContext) {
  auto r = make_stream_reader(sys());
  spawn_probe([this, r](caf::event_based_actor* probe) {
    auto report = reporter(probe);
    r.readline().then(
      probe, [report](bytes x) { report("value", std::move(x)); },
      [report](caf::error e) { report("error", describe(e)); });
  });
  r.feed_data("line\n");
  auto x = next_report();
  ASSERT_TRUE(x.has_value());
  EXPECT_EQ(x->tag, "value");
  EXPECT_EQ(x->payload, "line\n");
}

TEST_F(Pending, ThenWithATimeoutFailsAndTheReadConsumesNothing) {
  auto r = make_stream_reader(sys());
  r.feed_data("partial ");
  spawn_probe([this, r](caf::event_based_actor* probe) {
    auto report = reporter(probe);
    r.readline().then(
      probe, 30ms, [report](bytes x) { report("value", std::move(x)); },
      [report](caf::error e) { report("error", describe(e)); });
  });
  auto x = next_report();
  ASSERT_TRUE(x.has_value());
  EXPECT_EQ(x->tag, "error");
  EXPECT_EQ(x->payload, "timeout: readline() timed out; nothing was consumed");
  r.feed_data("line\n");
  EXPECT_EQ(value_of(r.readline().get(bound)), "partial line\n");
}

TEST_F(Pending, ThenWithATimeoutDeliversAValueInTime) {
  auto r = make_stream_reader(sys());
  spawn_probe([this, r](caf::event_based_actor* probe) {
    auto report = reporter(probe);
    r.readexactly(3).then(
      probe, bound, [report](bytes x) { report("value", std::move(x)); },
      [report](caf::error e) { report("error", describe(e)); });
  });
  r.feed_data("ab");
  r.feed_data("cd");
  auto x = next_report();
  ASSERT_TRUE(x.has_value());
  EXPECT_EQ(x->tag, "value");
  EXPECT_EQ(x->payload, "abc");
}

TEST_F(Pending, ThenWithATimeoutOnANonReadRequestFailsWithTimeout) {
  auto [a, b] = make_memory_pair(sys());
  auto w = a.writer;
  spawn_probe([this, w](caf::event_based_actor* probe) {
    auto report = reporter(probe);
    w.wait_closed().then(
      probe, 30ms, [report] { report("value", ""); },
      [report](caf::error e) { report("error", describe(e)); });
  });
  auto x = next_report();
  ASSERT_TRUE(x.has_value());
  EXPECT_EQ(x->tag, "error");
  EXPECT_EQ(x->payload, "timeout: the request timed out");
}

TEST_F(Pending, ThenOnAVoidPendingCallsTheValueHandlerWithNothing) {
  auto [a, b] = make_memory_pair(sys());
  auto w = a.writer;
  spawn_probe([this, w](caf::event_based_actor* probe) {
    auto report = reporter(probe);
    w.write("x");
    w.drain().then(
      probe, [report] { report("value", "drained"); },
      [report](caf::error e) { report("error", describe(e)); });
    w.close();
    w.drain().then(
      probe, [report] { report("value", "drained"); },
      [report](caf::error e) { report("error", describe(e)); });
  });
  auto x = next_report();
  ASSERT_TRUE(x.has_value());
  EXPECT_EQ(x->tag, "value");
  EXPECT_EQ(x->payload, "drained");
  x = next_report();
  ASSERT_TRUE(x.has_value());
  EXPECT_EQ(x->tag, "error");
  EXPECT_EQ(x->payload.rfind("closed", 0), 0u) << x->payload;
}

TEST_F(Pending, ThenOnASpentPendingFailsAtOnce) {
  auto r = make_stream_reader(sys());
  r.feed_data("ab");
  spawn_probe([this, r](caf::event_based_actor* probe) {
    auto report = reporter(probe);
    auto p = r.read(1);
    // Spend it through release; then() must not send it again.
    auto released = p.release();
    p.then(
      probe, [report](bytes x) { report("value", std::move(x)); },
      [report](caf::error e) { report("error", describe(e)); });
  });
  auto x = next_report();
  ASSERT_TRUE(x.has_value());
  EXPECT_EQ(x->tag, "error");
  EXPECT_EQ(x->payload, "invalid_argument: this pending was already awaited");
  EXPECT_EQ(value_of(r.read(5).get(bound)), "ab");
}

// -- release ------------------------------------------------------------------

TEST_F(Pending, ReleaseGivesTheDestinationAndTheMessage) {
  auto r = make_stream_reader(sys());
  auto p = r.readuntil("--");
  auto released = p.release(caf::timespan{250ms});
  ASSERT_TRUE(released) << describe(released.error());
  auto& [dest, msg] = *released;
  EXPECT_EQ(dest, caf::actor_cast<caf::actor>(r.handle()));
  ASSERT_TRUE((msg.match_elements<read_atom, read_request, caf::timespan>()))
    << caf::to_string(msg);
  EXPECT_EQ(msg.get_as<read_request>(1),
            (read_request{read_op::readuntil, 0, {"--"}}));
  // The receiver enforces the deadline: release puts it in the message.
  EXPECT_EQ(msg.get_as<caf::timespan>(2), caf::timespan{250ms});
  // The message is a working request.
  r.feed_data("key--value");
  std::optional<bytes> reply;
  self->request(dest, bound, msg)
    .receive([&](bytes& x) { reply = std::move(x); },
             [&](caf::error& e) { ADD_FAILURE() << describe(e); });
  EXPECT_EQ(reply, std::optional<bytes>{"key--"});
}

TEST_F(Pending, ReleaseWithoutADeadlineLeavesNoDeadline) {
  auto r = make_stream_reader(sys());
  auto released = r.readexactly(7).release();
  ASSERT_TRUE(released);
  const auto& msg = released->second;
  ASSERT_TRUE((msg.match_elements<read_atom, read_request, caf::timespan>()));
  EXPECT_EQ(msg.get_as<read_request>(1),
            (read_request{read_op::readexactly, 7, {}}));
  EXPECT_EQ(msg.get_as<caf::timespan>(2), no_deadline);
}

TEST_F(Pending, ReleaseOfANonReadRequestLeavesTheMessageAsIs) {
  auto [a, b] = make_memory_pair(sys());
  auto released = a.writer.get_extra_info("sockname").release(
    caf::timespan{5ms});
  ASSERT_TRUE(released);
  EXPECT_EQ(released->first, caf::actor_cast<caf::actor>(a.writer.handle()));
  ASSERT_TRUE((released->second.match_elements<extra_info_atom, std::string>()))
    << caf::to_string(released->second);
  EXPECT_EQ(released->second.get_as<std::string>(1), "sockname");
}

TEST_F(Pending, AReleasedPendingIsSpent) {
  auto r = make_stream_reader(sys());
  r.feed_data("abc");
  auto p = r.read(1);
  ASSERT_TRUE(p.release());
  auto again = p.release();
  ASSERT_FALSE(again);
  EXPECT_EQ(code_of(again.error()), stream_errc::invalid_argument);
  EXPECT_EQ(errc_of(p.get(bound)), stream_errc::invalid_argument);
  // Nothing was sent: the bytes are all there.
  EXPECT_EQ(value_of(r.read(3).get(bound)), "abc");
}

} // namespace
} // namespace actorstreams
