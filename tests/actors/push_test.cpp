#include "streams/framing.hpp"

// Tier 2: push mode (API.md section 9, docs/push.md) over memory pairs at
// every chunking (as written, 1 byte, 2 bytes) and over in-memory readers:
// every framing, every end reason with its payload, credit, ordering with
// reads, mode switches, subscribers that die, batches, and request-mode
// frames (readframe, write_frame).

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "push_support.hpp"
#include "streams/testing.hpp"

namespace actorstreams {
namespace {

using namespace std::chrono_literals;
using testing::bound;
using testing::code_of;
using testing::end_of;
using testing::error_of;
using testing::framed;
using testing::frames_of;
using testing::push_event;
using testing::recording_subscriber;
using testing::test_subscriber;
using testing::value_of;

using event_kind = push_event::kind;

/// Checks an end reason: none, or the code and the payload.
::testing::AssertionResult ends_cleanly(const caf::error& err) {
  if (!err)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "ended with " << describe(err);
}

::testing::AssertionResult ends_incomplete(const caf::error& err,
                                           const bytes& partial,
                                           std::optional<std::size_t> expected) {
  auto ire = as_incomplete_read(err);
  if (ire && ire->partial == partial && ire->expected == expected)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "ended with " << (err ? describe(err) : "(none)") << ", want "
         << "incomplete_read of " << ::testing::PrintToString(partial);
}

::testing::AssertionResult ends_overrun(const caf::error& err,
                                        std::size_t consumed) {
  auto lo = as_limit_overrun(err);
  if (lo && lo->consumed == consumed)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "ended with " << (err ? describe(err) : "(none)")
         << ", want limit_overrun with consumed " << consumed;
}

/// A memory pair delivering in pieces of `chunk` bytes (0: as written).
class Push : public testing::runtime_test,
             public ::testing::WithParamInterface<std::size_t> {
protected:
  std::pair<connection, connection> pair(std::size_t limit = default_limit) {
    memory_pair_options opts;
    opts.chunk = GetParam();
    opts.limit = limit;
    return make_memory_pair(sys(), opts);
  }

  /// Subscribes `b`'s reader to `how` after `a` wrote `input` and EOF;
  /// returns every event up to stream_end, granting one per frame.
  std::vector<push_event> push_all(framing how, const bytes& input,
                                   std::size_t limit = default_limit,
                                   std::size_t credit = 4) {
    auto [a, b] = pair(limit);
    test_subscriber sub{sys()};
    sub.expected_from = b.reader.handle();
    b.reader.subscribe(sub.handle(), std::move(how), credit);
    a.writer.write(input);
    a.writer.write_eof();
    return sub.until_end(b.reader);
  }
};

INSTANTIATE_TEST_SUITE_P(Chunkings, Push, ::testing::Values(0, 1, 2),
                         [](const auto& info) {
                           return info.param == 0
                                    ? std::string{"AsWritten"}
                                    : "Chunk" + std::to_string(info.param);
                         });

// -- every framing ----------------------------------------------------------------

TEST_P(Push, LinesAreFramesAsReadlineReturnsThemWithThePartialLastOne) {
  auto events = push_all(framing::lines(), "one\ntwo\n\nlast");
  EXPECT_EQ(frames_of(events),
            (std::vector<bytes>{"one\n", "two\n", "\n", "last"}));
  EXPECT_TRUE(ends_cleanly(end_of(events)));
}

TEST_P(Push, LinesEndCleanlyAtEofOnALineBoundary) {
  auto events = push_all(framing::lines(), "a\nb\n");
  EXPECT_EQ(frames_of(events), (std::vector<bytes>{"a\n", "b\n"}));
  EXPECT_TRUE(ends_cleanly(end_of(events)));
}

TEST_P(Push, AnOverlongLineIsAnErrorFrameAndTheSubscriptionGoesOn) {
  auto events = push_all(framing::lines(),
                         "ok\n" + bytes(30, 'x') + "\nnext\n", 10);
  ASSERT_EQ(events.size(), 4u) << ::testing::PrintToString(events);
  EXPECT_EQ(events[0].data, "ok\n");
  ASSERT_EQ(events[1].what, event_kind::error_frame);
  EXPECT_TRUE(as_limit_overrun(events[1].err)) << describe(events[1].err);
  EXPECT_EQ(events[2].data, "next\n");
  EXPECT_TRUE(ends_cleanly(end_of(events)));
}

TEST_P(Push, UntilCutsAtTheEarliestSeparatorAndKeepsIt) {
  auto events = push_all(framing::until({"\r\n", "|"}), "a|bc\r\nd|");
  EXPECT_EQ(frames_of(events), (std::vector<bytes>{"a|", "bc\r\n", "d|"}));
  EXPECT_TRUE(ends_cleanly(end_of(events)));
}

TEST_P(Push, UntilEndsWithThePartialFrameAtEof) {
  auto events = push_all(framing::until({"\r\n"}), "a\r\nrest\r");
  EXPECT_EQ(frames_of(events), (std::vector<bytes>{"a\r\n"}));
  EXPECT_TRUE(ends_incomplete(end_of(events), "rest\r", std::nullopt));
}

TEST_P(Push, UntilOverrunEndsTheSubscriptionAndConsumesNothing) {
  auto [a, b] = pair(8);
  test_subscriber sub{sys()};
  b.reader.subscribe(sub.handle(), framing::until({"--"}), 4);
  a.writer.write("ab--" + bytes(20, 'z') + "--tail");
  a.writer.write_eof();
  auto events = sub.until_end(b.reader);
  EXPECT_EQ(frames_of(events), (std::vector<bytes>{"ab--"}));
  auto err = end_of(events);
  ASSERT_TRUE(as_limit_overrun(err)) << describe(err);
  // Nothing consumed: every byte after the first frame is readable.
  EXPECT_EQ(value_of(b.reader.read().get(bound)), bytes(20, 'z') + "--tail");
}

TEST_P(Push, ExactlyCutsFixedSizesAndEndsWithThePartialOne) {
  auto events = push_all(framing::exactly(3), "abcdefgh");
  EXPECT_EQ(frames_of(events), (std::vector<bytes>{"abc", "def"}));
  EXPECT_TRUE(ends_incomplete(end_of(events), "gh", 3u));
}

TEST_P(Push, ExactlyEndsCleanlyOnAFrameBoundary) {
  auto events = push_all(framing::exactly(2), "abcd");
  EXPECT_EQ(frames_of(events), (std::vector<bytes>{"ab", "cd"}));
  EXPECT_TRUE(ends_cleanly(end_of(events)));
}

TEST_P(Push, LengthPrefixedFramesArriveWithoutTheirPrefixForEveryWidth) {
  for (std::size_t width : {1, 2, 4, 8}) {
    auto input = framed(width, "first") + framed(width, "")
                 + framed(width, bytes(300 % (width == 1 ? 256 : 301), 'p'));
    auto events = push_all(framing::length_prefixed(width), input);
    EXPECT_EQ(frames_of(events),
              (std::vector<bytes>{"first", "",
                                  bytes(300 % (width == 1 ? 256 : 301), 'p')}))
      << "width " << width;
    EXPECT_TRUE(ends_cleanly(end_of(events))) << "width " << width;
  }
}

TEST_P(Push, LengthPrefixedEndsWithWhatArrivedOfThePrefixOrThePayload) {
  auto in_prefix = push_all(framing::length_prefixed(4),
                            framed(4, "ok") + bytes{"\x00\x00", 2});
  EXPECT_EQ(frames_of(in_prefix), (std::vector<bytes>{"ok"}));
  EXPECT_TRUE(ends_incomplete(end_of(in_prefix), bytes{"\x00\x00", 2}, 4u));
  auto in_payload = push_all(framing::length_prefixed(2),
                             framed(2, "abcdef").substr(0, 5));
  EXPECT_TRUE(frames_of(in_payload).empty());
  EXPECT_TRUE(ends_incomplete(end_of(in_payload), "abc", 6u));
}

TEST_P(Push, AnAnnouncedLengthOverTheLimitEndsItAndConsumesNothing) {
  auto [a, b] = pair(16);
  test_subscriber sub{sys()};
  b.reader.subscribe(sub.handle(), framing::length_prefixed(2), 4);
  auto big = framed(2, bytes(17, 'B'));
  a.writer.write(framed(2, "small") + big + framed(2, "after"));
  a.writer.write_eof();
  auto events = sub.until_end(b.reader);
  EXPECT_EQ(frames_of(events), (std::vector<bytes>{"small"}));
  EXPECT_TRUE(ends_overrun(end_of(events), 19));
  // Request mode again: skip the frame as the error says, go on.
  EXPECT_EQ(value_of(b.reader.readexactly(19).get(bound)), big);
  EXPECT_EQ(value_of(b.reader.readframe(2).get(bound)), "after");
}

TEST_P(Push, ChunksCarryEveryByteInOrderAtMostLimitEach) {
  auto input = testing::pattern(5000);
  auto events = push_all(framing::chunks(), input, 1000, 2);
  bytes joined;
  for (const auto& f : frames_of(events)) {
    EXPECT_LE(f.size(), 1000u);
    EXPECT_FALSE(f.empty());
    joined += f;
  }
  EXPECT_EQ(joined, input);
  EXPECT_TRUE(ends_cleanly(end_of(events)));
}

TEST_P(Push, ABadFramingIsRefusedWithInvalidArgument) {
  for (auto how : {framing::exactly(0), framing::length_prefixed(3),
                   framing::until({}), framing::until({"a", ""})}) {
    auto [a, b] = pair();
    test_subscriber sub{sys()};
    b.reader.subscribe(sub.handle(), how, 4);
    auto ev = sub.next();
    ASSERT_TRUE(ev);
    EXPECT_EQ(ev->what, event_kind::end);
    EXPECT_EQ(code_of(ev->err), stream_errc::invalid_argument);
    // Not subscribed: reads work.
    a.writer.write("x");
    EXPECT_EQ(value_of(b.reader.read(1).get(bound)), "x");
  }
}

// -- credit -----------------------------------------------------------------------

/// Credit cases on the test kit's deterministic runtime: "no frame
/// beyond the credit" holds once the system has run dry, exactly.
class PushVirtualTime : public ::testing::TestWithParam<std::size_t> {
protected:
  testing::deterministic_runtime rt;

  std::pair<connection, connection> pair() {
    memory_pair_options opts;
    opts.chunk = GetParam();
    return make_memory_pair(rt.system(), opts);
  }
};

INSTANTIATE_TEST_SUITE_P(Chunkings, PushVirtualTime, ::testing::Values(0, 1, 2),
                         [](const auto& info) {
                           return info.param == 0
                                    ? std::string{"AsWritten"}
                                    : "Chunk" + std::to_string(info.param);
                         });

using frames = std::vector<bytes>;

TEST_P(PushVirtualTime, NoFrameBeyondTheCreditUntilAGrant) {
  auto [a, b] = pair();
  recording_subscriber sub{rt.system()};
  a.writer.write("1\n2\n3\n4\n5\n");
  b.reader.subscribe(sub.handle(), framing::lines(), 2);
  rt.run();
  EXPECT_EQ(sub.take_frames(), (frames{"1\n", "2\n"}));
  b.reader.grant(1);
  rt.run();
  EXPECT_EQ(sub.take_frames(), (frames{"3\n"}));
  b.reader.grant(10);
  rt.run();
  EXPECT_EQ(sub.take_frames(), (frames{"4\n", "5\n"})) << "no EOF: no end";
  a.writer.write_eof();
  rt.run();
  auto end = sub.take();
  ASSERT_EQ(end.size(), 1u);
  EXPECT_EQ(end[0].what, event_kind::end);
  EXPECT_FALSE(end[0].err) << describe(end[0].err);
}

TEST_P(PushVirtualTime, CreditZeroSendsNothingUntilAGrant) {
  auto [a, b] = pair();
  recording_subscriber sub{rt.system()};
  b.reader.subscribe(sub.handle(), framing::lines(), 0);
  a.writer.write("x\ny\n");
  rt.run();
  EXPECT_EQ(sub.take_frames(), frames{});
  b.reader.grant(1);
  rt.run();
  EXPECT_EQ(sub.take_frames(), (frames{"x\n"}));
}

TEST_P(Push, AnErrorFrameCountsAgainstTheCredit) {
  auto [a, b] = pair(4);
  test_subscriber sub{sys()};
  b.reader.subscribe(sub.handle(), framing::lines(), 1);
  a.writer.write(bytes(10, 'x') + "\nok\n");
  auto first = sub.next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->what, event_kind::error_frame);
  sub.expect_nothing();
  b.reader.grant(1);
  EXPECT_EQ(sub.next_frame(), "ok\n");
}

// -- ordering with reads, refusals ----------------------------------------------------

TEST_P(Push, ReadsQueuedBeforeTheSubscriptionAreServedFirst) {
  auto [a, b] = pair();
  test_subscriber sub{sys()};
  caf::scoped_actor self{sys(), true};
  // From this thread, in this order: a readline, then the subscription.
  auto first = self->request(caf::actor_cast<caf::actor>(b.reader.handle()),
                             caf::infinite, read_atom_v,
                             read_request{read_op::readline, 0, {}},
                             no_deadline);
  b.reader.subscribe(sub.handle(), framing::lines(), 8);
  a.writer.write("for the read\nfor the subscriber\n");
  bytes got;
  first.receive([&](bytes& line) { got = line; },
                [&](caf::error& err) { ADD_FAILURE() << describe(err); });
  EXPECT_EQ(got, "for the read\n");
  EXPECT_EQ(sub.next_frame(), "for the subscriber\n");
}

TEST_P(Push, ReadsFailWithInvalidArgumentWhileSubscribed) {
  auto [a, b] = pair();
  test_subscriber sub{sys()};
  b.reader.subscribe(sub.handle(), framing::lines(), 0);
  auto err = error_of(b.reader.readline().get(bound));
  EXPECT_EQ(code_of(err), stream_errc::invalid_argument);
  EXPECT_EQ(code_of(error_of(b.reader.readframe().get(bound))),
            stream_errc::invalid_argument);
}

TEST_P(Push, ASecondSubscriberIsRefusedAndTheFirstGoesOn) {
  auto [a, b] = pair();
  test_subscriber first{sys()};
  test_subscriber second{sys()};
  b.reader.subscribe(first.handle(), framing::lines(), 8);
  b.reader.subscribe(second.handle(), framing::lines(), 8);
  auto refused = second.next();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->what, event_kind::end);
  EXPECT_EQ(code_of(refused->err), stream_errc::invalid_argument);
  a.writer.write("still mine\n");
  EXPECT_EQ(first.next_frame(), "still mine\n");
  second.expect_nothing();
}

// -- nothing lost when the mode changes ---------------------------------------------

TEST_P(Push, AfterUnsubscribeEveryByteNotSentIsReadable) {
  auto [a, b] = pair();
  test_subscriber sub{sys()};
  a.writer.write("a\nb\nc\n");
  a.writer.write_eof();
  b.reader.subscribe(sub.handle(), framing::lines(), 1);
  EXPECT_EQ(sub.next_frame(), "a\n");
  ASSERT_TRUE(b.reader.unsubscribe().get(bound));
  sub.expect_nothing(); // no stream_end for an unsubscribe
  EXPECT_EQ(value_of(b.reader.read().get(bound)), "b\nc\n");
}

TEST_P(Push, SwitchingModesBackAndForthAccountsForEveryByte) {
  auto [a, b] = pair();
  std::vector<bytes> lines;
  bytes input;
  for (int i = 0; i < 40; ++i) {
    lines.push_back("line " + std::to_string(i) + "\n");
    input += lines.back();
  }
  a.writer.write(input);
  a.writer.write_eof();
  std::vector<bytes> got;
  test_subscriber sub{sys()};
  for (std::size_t round = 0; got.size() < lines.size(); ++round) {
    if (round % 2 == 0) {
      // Push mode for up to three frames.
      b.reader.subscribe(sub.handle(), framing::lines(), 3);
      for (int i = 0; i < 3 && got.size() < lines.size(); ++i) {
        auto ev = sub.next();
        ASSERT_TRUE(ev && ev->what == event_kind::frame);
        got.push_back(ev->data);
      }
      ASSERT_TRUE(b.reader.unsubscribe().get(bound));
    } else {
      // Request mode for two lines.
      for (int i = 0; i < 2 && got.size() < lines.size(); ++i)
        got.push_back(value_of(b.reader.readline().get(bound)));
    }
  }
  EXPECT_EQ(got, lines);
  EXPECT_EQ(value_of(b.reader.read().get(bound)), ""); // nothing left over
}

TEST_P(Push, WhenTheSubscriberDiesTheRestStaysReadable) {
  auto [a, b] = pair();
  auto got_one = std::make_shared<std::atomic<bool>>(false);
  // Takes one frame, then quits mid-stream.
  auto one_frame = [got_one](caf::event_based_actor* self) -> caf::behavior {
    return {
      [self, got_one](frame_atom, const connection_actor&, const bytes&) {
        got_one->store(true);
        self->quit();
      },
    };
  };
  auto subscriber = sys().spawn(one_frame);
  b.reader.subscribe(subscriber, framing::lines(), 1);
  a.writer.write("taken\nleft 1\nleft 2\n");
  a.writer.write_eof();
  {
    caf::scoped_actor self{sys(), true};
    self->wait_for(subscriber);
  }
  EXPECT_TRUE(got_one->load());
  // The connection learns of the death from its monitor: until then reads
  // are still refused; afterwards everything not sent is there.
  caf::expected<bytes> rest = make_error(stream_errc::timeout, "not yet");
  for (int i = 0; i < 200; ++i) {
    rest = b.reader.read().get(bound);
    if (rest || code_of(rest.error()) != stream_errc::invalid_argument)
      break;
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(value_of(std::move(rest)), "left 1\nleft 2\n");
}

TEST_P(Push, StreamEndComesExactlyOnceAndLast) {
  auto [a, b] = pair();
  test_subscriber sub{sys()};
  b.reader.subscribe(sub.handle(), framing::lines(), 100);
  a.writer.write("x\n");
  a.writer.close();
  EXPECT_EQ(sub.next_frame(), "x\n");
  auto end = sub.next();
  ASSERT_TRUE(end);
  EXPECT_EQ(end->what, event_kind::end);
  b.reader.grant(5);
  sub.expect_nothing();
}

// -- batches -----------------------------------------------------------------------

TEST_P(Push, BatchesCarryUpToTheirSizeAndNeverMoreThanTheCredit) {
  auto [a, b] = pair();
  test_subscriber sub{sys()};
  bytes input;
  std::vector<bytes> lines;
  for (int i = 0; i < 50; ++i) {
    lines.push_back(std::to_string(i) + "\n");
    input += lines.back();
  }
  a.writer.write(input);
  b.reader.subscribe(sub.handle(), framing::lines(),
                     subscribe_options{20, 8});
  std::size_t frames = 0;
  while (frames < 20) {
    auto ev = sub.next();
    ASSERT_TRUE(ev && ev->what == event_kind::frame);
    EXPECT_LE(ev->frames, 8u);
    frames += ev->frames;
  }
  EXPECT_EQ(frames, 20u);
  sub.expect_nothing();
  a.writer.write_eof();
  b.reader.grant(1000);
  auto rest = sub.until_end(b.reader, 0);
  std::vector<bytes> all;
  for (const auto& batch : sub.batches)
    all.insert(all.end(), batch.begin(), batch.end());
  EXPECT_EQ(all, lines);
  EXPECT_TRUE(ends_cleanly(end_of(rest)));
}

// -- request-mode frames ------------------------------------------------------------

TEST_P(Push, WriteFrameAndReadframeRoundTripEveryWidth) {
  auto [a, b] = pair();
  for (std::size_t width : {1, 2, 4, 8}) {
    a.writer.write_frame("payload " + std::to_string(width), width);
    a.writer.write_frame("", width);
  }
  for (std::size_t width : {1, 2, 4, 8}) {
    EXPECT_EQ(value_of(b.reader.readframe(width).get(bound)),
              "payload " + std::to_string(width));
    EXPECT_EQ(value_of(b.reader.readframe(width).get(bound)), "");
  }
}

TEST_P(Push, WriteFrameWritesPrefixAndPayloadAsOneBigEndianWrite) {
  auto [a, b] = pair();
  a.writer.write_frame(bytes(258, 'z'), 2);
  EXPECT_EQ(value_of(b.reader.readexactly(2).get(bound)), bytes("\x01\x02", 2));
  EXPECT_EQ(value_of(b.reader.readexactly(258).get(bound)), bytes(258, 'z'));
}

TEST_P(Push, WriteFrameThrowsForAPayloadThatDoesNotFitAndWritesNothing) {
  auto [a, b] = pair();
  EXPECT_THROW(a.writer.write_frame(bytes(256, 'x'), 1), std::length_error);
  EXPECT_THROW(a.writer.write_frame(bytes(65536, 'x'), 2), std::length_error);
  EXPECT_THROW(a.writer.write_frame("x", 3), std::invalid_argument);
  a.writer.write_frame(bytes(255, 'y'), 1); // the largest that fits
  a.writer.write_eof();
  EXPECT_EQ(value_of(b.reader.read().get(bound)),
            bytes(1, '\xff') + bytes(255, 'y'));
}

TEST_P(Push, ReadframeAtEofAndOverTheLimit) {
  auto [a, b] = pair(10);
  auto big = framed(4, bytes(11, 'b'));
  a.writer.write(big + framed(4, "abcdef").substr(0, 6));
  a.writer.write_eof();
  auto over = error_of(b.reader.readframe(4).get(bound));
  EXPECT_TRUE(ends_overrun(over, 15));
  EXPECT_EQ(value_of(b.reader.readexactly(15).get(bound)), big);
  EXPECT_TRUE(ends_incomplete(error_of(b.reader.readframe(4).get(bound)),
                              "ab", 6u));
  EXPECT_TRUE(ends_incomplete(error_of(b.reader.readframe(4).get(bound)), "",
                              4u));
}

// -- in-memory readers: the end reasons that need a hand on the buffer -----------

class PushReader : public testing::runtime_test {};

TEST_F(PushReader, SetExceptionEndsTheSubscriptionWithThatError) {
  auto reader = make_stream_reader(sys());
  test_subscriber sub{sys()};
  reader.subscribe(sub.handle(), framing::lines(), 4);
  reader.feed_data("a\n");
  EXPECT_EQ(sub.next_frame(), "a\n");
  reader.set_exception(make_error(stream_errc::connection_reset, "boom"));
  auto end = sub.next();
  ASSERT_TRUE(end);
  EXPECT_EQ(end->what, event_kind::end);
  EXPECT_EQ(code_of(end->err), stream_errc::connection_reset);
  EXPECT_EQ(testing::message_of(end->err), "boom");
}

TEST_F(PushReader, AConnectionThatShutsDownEndsItsSubscriptionWithClosed) {
  auto reader = make_stream_reader(sys());
  test_subscriber sub{sys()};
  reader.subscribe(sub.handle(), framing::lines(), 4);
  reader.feed_data("a\n");
  EXPECT_EQ(sub.next_frame(), "a\n");
  caf::anon_send_exit(reader.handle(), caf::exit_reason::kill);
  auto end = sub.next();
  ASSERT_TRUE(end);
  EXPECT_EQ(end->what, event_kind::end);
  EXPECT_EQ(code_of(end->err), stream_errc::closed);
}

TEST_F(PushReader, UnsubscribeWhenNotSubscribedReplies) {
  auto reader = make_stream_reader(sys());
  EXPECT_TRUE(reader.unsubscribe().get(bound));
  reader.grant(3); // ignored
  reader.feed_data("x");
  EXPECT_EQ(value_of(reader.read(1).get(bound)), "x");
}

TEST_F(PushReader, AnUnsubscribeBeforeTheQueuedReadsAreServedCancelsIt) {
  auto reader = make_stream_reader(sys());
  test_subscriber sub{sys()};
  caf::scoped_actor self{sys(), true};
  auto first = self->request(caf::actor_cast<caf::actor>(reader.handle()),
                             caf::infinite, read_atom_v,
                             read_request{read_op::readline, 0, {}},
                             no_deadline);
  reader.subscribe(sub.handle(), framing::lines(), 8);
  ASSERT_TRUE(reader.unsubscribe().get(bound));
  reader.feed_data("one\ntwo\n");
  first.receive([](bytes& line) { EXPECT_EQ(line, "one\n"); },
                [](caf::error& err) { ADD_FAILURE() << describe(err); });
  sub.expect_nothing();
  EXPECT_EQ(value_of(reader.readline().get(bound)), "two\n");
}

// -- found in review: the end without credit, a frame cut after its prefix,
// -- a subscription as the connection's only owner, a subscriber that dies --

TEST_P(Push, AFrameCutRightAfterItsPrefixEndsWithIncompleteRead) {
  auto events = push_all(framing::length_prefixed(4),
                         framed(4, "whole") + bytes{"\x00\x00\x00\x05", 4});
  EXPECT_EQ(frames_of(events), (std::vector<bytes>{"whole"}));
  EXPECT_TRUE(ends_incomplete(end_of(events), "", 5u));
}

TEST_P(Push, EofWithNothingLeftEndsTheStreamEvenWithoutCredit) {
  auto [a, b] = pair();
  test_subscriber sub{sys()};
  b.reader.subscribe(sub.handle(), framing::lines(), 1);
  a.writer.write("only\n");
  EXPECT_EQ(sub.next_frame(), "only\n");
  a.writer.write_eof();
  // Credit 0 now: stream_end is not a frame and still comes.
  EXPECT_TRUE(ends_cleanly(sub.next_end()));
}

TEST_P(Push, FramesLeftAtEofWaitForCreditBeforeTheEnd) {
  auto [a, b] = pair();
  test_subscriber sub{sys()};
  b.reader.subscribe(sub.handle(), framing::lines(), 0);
  a.writer.write("one\ntwo\n");
  a.writer.write_eof();
  sub.expect_nothing();
  b.reader.grant(2);
  EXPECT_EQ(sub.next_frame(), "one\n");
  EXPECT_EQ(sub.next_frame(), "two\n");
  EXPECT_TRUE(ends_cleanly(sub.next_end()));
}

TEST_F(PushReader, AStoredExceptionEndsTheStreamEvenWithoutCredit) {
  auto reader = make_stream_reader(sys());
  test_subscriber sub{sys()};
  reader.subscribe(sub.handle(), framing::lines(), 0);
  reader.feed_data("buffered\n");
  reader.set_exception(make_error(stream_errc::connection_reset, "gone"));
  EXPECT_EQ(code_of(sub.next_end()), stream_errc::connection_reset);
}

TEST_F(PushReader, ASubscriptionKeepsItsConnectionAliveWhenNoHandleIsLeft) {
  test_subscriber sub{sys()};
  caf::actor_addr conn_addr;
  {
    auto reader = make_stream_reader(sys());
    conn_addr = caf::actor_cast<caf::actor_addr>(reader.handle());
    reader.subscribe(sub.handle(), framing::lines(), 8);
  } // the test's last handle goes; the subscriber never had one
  // The connection is still there, and serves its subscriber to the end.
  auto conn = caf::actor_cast<connection_actor>(conn_addr);
  ASSERT_TRUE(conn);
  stream_reader reader{conn};
  conn = nullptr;
  reader.feed_data("still served\n");
  reader.feed_eof();
  reader = stream_reader{};
  EXPECT_EQ(sub.next_frame(), "still served\n");
  EXPECT_TRUE(ends_cleanly(sub.next_end()));
}

TEST_P(Push, ASubscriberThatDiesWithCreditLeftGetsNoMoreAndTheRestStaysReadable) {
  auto [a, b] = pair();
  auto got = std::make_shared<std::atomic<int>>(0);
  auto one_frame = [got](caf::event_based_actor* self) -> caf::behavior {
    return {
      [self, got](frame_atom, const connection_actor&, const bytes&) {
        ++*got;
        self->quit();
      },
    };
  };
  auto subscriber = sys().spawn(one_frame);
  b.reader.subscribe(subscriber, framing::lines(), 16);
  a.writer.write("taken\nleft 1\nleft 2\nleft 3\n");
  a.writer.write_eof();
  {
    caf::scoped_actor self{sys(), true};
    self->wait_for(subscriber);
  }
  caf::expected<bytes> rest = make_error(stream_errc::timeout, "not yet");
  for (int i = 0; i < 200; ++i) {
    rest = b.reader.read().get(bound);
    if (rest || code_of(rest.error()) != stream_errc::invalid_argument)
      break;
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(got->load(), 1);
  // Whatever was sent to the dead actor is lost with it; everything else is
  // here, in order, and at least the lines sent after it died are.
  auto text = value_of(std::move(rest));
  EXPECT_TRUE(text == "left 1\nleft 2\nleft 3\n" || text == "left 2\nleft 3\n"
              || text == "left 3\n" || text.empty())
    << text;
}

TEST_F(PushReader, AHugeGrantSaturatesInsteadOfWrapping) {
  auto reader = make_stream_reader(sys());
  test_subscriber sub{sys()};
  reader.subscribe(sub.handle(), framing::exactly(1), 16);
  reader.grant(SIZE_MAX); // "no limit"
  bytes input(40, 'x');
  reader.feed_data(input);
  for (int i = 0; i < 40; ++i)
    EXPECT_EQ(sub.next_frame(), "x") << i;
}

} // namespace
} // namespace actorstreams
