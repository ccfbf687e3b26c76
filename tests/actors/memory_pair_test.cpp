#include "streams/memory_pair.hpp"

// Tier 2: two connection actors wired back to back in memory
// (net/memory_transport.hpp): bytes, EOF, closing and flow control end to
// end, with no sockets.

#include <optional>
#include <string>
#include <vector>

#include "streams/testing.hpp"
#include "test_support.hpp"

namespace actorstreams {
namespace {

using namespace std::chrono_literals;
using testing::bound;
using testing::code_of;
using testing::error_of;
using testing::message_of;
using testing::pattern;
using testing::value_of;

using testing::succeeded;

class MemoryPair : public testing::runtime_test {};

/// Flow-control cases on the test kit's deterministic runtime: "the drain
/// waits" is a virtual 30 s deadline, exact and taking no real time.
class MemoryPairVirtualTime : public ::testing::Test {
protected:
  testing::deterministic_runtime rt;

  caf::actor_system& sys() { return rt.system(); }

  /// Writes more than `peer` takes before it pauses (it does not read), in
  /// 16 KiB pieces; returns what was written once the writer is paused.
  bytes fill_until_paused(const connection& writer_side,
                          std::size_t extra_pieces = 8) {
    constexpr std::size_t piece = 16 * 1024;
    bytes sent;
    while (sent.size() < default_write_high_water + 2 * default_limit
                           + net::default_read_window
                           + extra_pieces * piece) {
      auto chunk = pattern(piece, static_cast<unsigned>(sent.size() / piece));
      sent += chunk;
      writer_side.writer.write(std::move(chunk));
    }
    // drain() waiting proves the peer stopped taking bytes: some are queued.
    auto err = error_of(rt.await(writer_side.writer.drain(), 30s));
    EXPECT_EQ(code_of(err), stream_errc::timeout) << describe(err);
    return sent;
  }
};

// -- bytes --------------------------------------------------------------------

TEST_F(MemoryPair, BytesWrittenOnOneSideAreReadOnTheOther) {
  auto [a, b] = make_memory_pair(sys());
  a.writer.write("hello\n");
  EXPECT_EQ(value_of(b.reader.readline().get(bound)), "hello\n");
  b.writer.write("world\n");
  EXPECT_EQ(value_of(a.reader.readline().get(bound)), "world\n");
}

TEST_F(MemoryPair, EveryByteValueIncludingNulArrivesExactly) {
  auto [a, b] = make_memory_pair(sys());
  const bytes nul_line{"a\0b\0\n", 5};
  a.writer.write(nul_line);
  EXPECT_EQ(value_of(b.reader.readline().get(bound)), nul_line);
  const auto all_values = pattern(256 * 3, 7);
  a.writer.write(all_values);
  b.writer.write(all_values);
  EXPECT_EQ(value_of(b.reader.readexactly(256 * 3).get(bound)), all_values);
  EXPECT_EQ(value_of(a.reader.readexactly(256 * 3).get(bound)), all_values);
  a.writer.write(bytes(1, '\0'));
  EXPECT_EQ(value_of(b.reader.read(10).get(bound)), bytes(1, '\0'));
}

TEST_F(MemoryPair, WritesArriveInOrderAndWritelinesAddsNoSeparators) {
  auto [a, b] = make_memory_pair(sys());
  a.writer.write("one ");
  a.writer.writelines({"two ", "three", "\n"});
  a.writer.write("four\n");
  a.writer.write("");
  a.writer.write_eof();
  EXPECT_EQ(value_of(b.reader.read().get(bound)), "one two three\nfour\n");
}

TEST_F(MemoryPair, ChunkOneDeliversByteByByte) {
  memory_pair_options opts;
  opts.chunk = 1;
  auto [a, b] = make_memory_pair(sys(), opts);
  // The read is queued before the bytes are written, so the first piece to
  // arrive serves it: with chunk = 1 that is one byte.
  caf::scoped_actor self{sys(), true};
  auto first = self->request(b.reader.handle(), bound, read_atom_v,
                             int64_t{100});
  a.writer.write("hello\nworld\n");
  std::optional<bytes> got;
  first.receive([&](bytes& x) { got = std::move(x); },
                [&](caf::error& e) { ADD_FAILURE() << describe(e); });
  EXPECT_EQ(got, std::optional<bytes>{"h"});
  EXPECT_EQ(value_of(b.reader.readline().get(bound)), "ello\n");
  EXPECT_EQ(value_of(b.reader.readline().get(bound)), "world\n");
}

TEST_F(MemoryPair, ChunkOneStillGivesReadlineWholeLines) {
  memory_pair_options opts;
  opts.chunk = 1;
  auto [a, b] = make_memory_pair(sys(), opts);
  bytes text;
  for (int i = 0; i < 20; ++i)
    text += "line number " + std::to_string(i) + "\n";
  a.writer.write(text);
  a.writer.write_eof();
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(value_of(b.reader.readline().get(bound)),
              "line number " + std::to_string(i) + "\n");
  EXPECT_EQ(value_of(b.reader.readline().get(bound)), "");
  EXPECT_TRUE(value_of(b.reader.at_eof().get(bound)));
}

TEST_F(MemoryPair, ASmallLimitAppliesToEachSide) {
  memory_pair_options opts;
  opts.limit = 4;
  auto [a, b] = make_memory_pair(sys(), opts);
  a.writer.write("toolong\nok\n");
  EXPECT_EQ(code_of(error_of(b.reader.readline().get(bound))),
            stream_errc::limit_overrun);
  EXPECT_EQ(value_of(b.reader.readline().get(bound)), "ok\n");
}

// -- write_eof ----------------------------------------------------------------

TEST_F(MemoryPair, WriteEofGivesThePeerEofAfterAllData) {
  auto [a, b] = make_memory_pair(sys());
  a.writer.write("abc");
  a.writer.write("def");
  a.writer.write_eof();
  EXPECT_EQ(value_of(b.reader.read().get(bound)), "abcdef");
  EXPECT_TRUE(value_of(b.reader.at_eof().get(bound)));
  EXPECT_EQ(value_of(b.reader.read(5).get(bound)), "");
}

TEST_F(MemoryPair, TheWriterCanStillReadAfterWriteEof) {
  auto [a, b] = make_memory_pair(sys());
  a.writer.write("request");
  a.writer.write_eof();
  EXPECT_EQ(value_of(b.reader.read().get(bound)), "request");
  b.writer.write("response");
  b.writer.close();
  EXPECT_EQ(value_of(a.reader.read().get(bound)), "response");
  EXPECT_FALSE(value_of(a.writer.is_closing().get(bound)));
}

TEST_F(MemoryPair, CanWriteEofIsTrue) {
  auto [a, b] = make_memory_pair(sys());
  EXPECT_TRUE(value_of(a.writer.can_write_eof().get(bound)));
  EXPECT_TRUE(value_of(b.writer.can_write_eof().get(bound)));
}

TEST_F(MemoryPair, AWriteAfterWriteEofIsReportedByDrain) {
  auto [a, b] = make_memory_pair(sys());
  a.writer.write("before");
  a.writer.write_eof();
  a.writer.write("after");
  auto err = error_of(a.writer.drain().get(bound));
  EXPECT_EQ(code_of(err), stream_errc::closed);
  EXPECT_EQ(message_of(err), "Cannot call write() after write_eof()");
  EXPECT_EQ(value_of(b.reader.read().get(bound)), "before");
}

TEST_F(MemoryPair, WriteEofTwiceIsHarmless) {
  auto [a, b] = make_memory_pair(sys());
  a.writer.write("x");
  a.writer.write_eof();
  a.writer.write_eof();
  EXPECT_TRUE(succeeded(a.writer.drain().get(bound)));
  EXPECT_EQ(value_of(b.reader.read().get(bound)), "x");
}

// -- close --------------------------------------------------------------------

TEST_F(MemoryPairVirtualTime, CloseGivesThePeerEofAfterAllData) {
  auto [a, b] = make_memory_pair(sys());
  // More than the peer takes before it pauses, so that part of it is still
  // queued in the transport when close() comes: close must flush it.
  a.writer.write("head:");
  auto sent = "head:" + fill_until_paused(a);
  a.writer.close();
  auto got = value_of(rt.await(b.reader.read()));
  EXPECT_EQ(got.size(), sent.size());
  EXPECT_TRUE(got == sent) << "the bytes differ";
  EXPECT_TRUE(value_of(rt.await(b.reader.at_eof())));
}

TEST_F(MemoryPairVirtualTime, ClosingWithIncomingDataQueuedResetsThePeer) {
  // As a TCP close with unread data sends RST.
  auto [a, b] = make_memory_pair(sys());
  fill_until_paused(b);
  a.writer.close();
  EXPECT_TRUE(succeeded(rt.await(a.writer.wait_closed())));
  auto err = error_of(rt.await(b.writer.wait_closed()));
  EXPECT_EQ(code_of(err), stream_errc::connection_reset);
  EXPECT_EQ(code_of(error_of(rt.await(b.writer.drain()))),
            stream_errc::connection_reset);
  EXPECT_TRUE(value_of(rt.await(b.writer.is_closing())));
}

TEST_F(MemoryPairVirtualTime, AbortDropsWhatThePeerHasNotTaken) {
  auto [a, b] = make_memory_pair(sys());
  auto sent = fill_until_paused(a);
  caf::anon_send(a.writer.handle(), abort_atom_v);
  EXPECT_TRUE(succeeded(rt.await(a.writer.wait_closed())));
  auto got = value_of(rt.await(b.reader.read()));
  EXPECT_LT(got.size(), sent.size());
  EXPECT_TRUE(got == sent.substr(0, got.size())) << "not a prefix";
  EXPECT_TRUE(value_of(rt.await(b.reader.at_eof())));
}

TEST_F(MemoryPair, CloseIsIdempotent) {
  auto [a, b] = make_memory_pair(sys());
  a.writer.write("once");
  a.writer.close();
  a.writer.close();
  EXPECT_TRUE(succeeded(a.writer.wait_closed().get(bound)));
  a.writer.close();
  EXPECT_TRUE(succeeded(a.writer.wait_closed().get(bound)));
  EXPECT_TRUE(value_of(a.writer.is_closing().get(bound)));
  EXPECT_EQ(value_of(b.reader.read().get(bound)), "once");
}

TEST_F(MemoryPair, TheClosersOwnReaderSeesEof) {
  auto [a, b] = make_memory_pair(sys());
  a.writer.close();
  EXPECT_EQ(value_of(a.reader.read().get(bound)), "");
  EXPECT_TRUE(value_of(a.reader.at_eof().get(bound)));
  EXPECT_EQ(value_of(a.reader.readline().get(bound)), "");
}

TEST_F(MemoryPair, BytesBufferedBeforeCloseStayReadable) {
  auto [a, b] = make_memory_pair(sys());
  b.writer.write("buffered\n");
  // Wait until the bytes are in a's read buffer, not in flight.
  EXPECT_EQ(value_of(a.reader.readexactly(3).get(bound)), "buf");
  a.writer.close();
  EXPECT_EQ(value_of(a.reader.read().get(bound)), "fered\n");
  EXPECT_TRUE(value_of(a.reader.at_eof().get(bound)));
}

TEST_F(MemoryPair, WritingAfterThePeerClosedFailsWithConnectionReset) {
  auto [a, b] = make_memory_pair(sys());
  b.writer.close();
  ASSERT_TRUE(succeeded(b.writer.wait_closed().get(bound)));
  EXPECT_EQ(value_of(a.reader.read().get(bound)), "");
  a.writer.write("into the void");
  // The write breaks the connection; wait_closed sees it ...
  auto err = error_of(a.writer.wait_closed().get(bound));
  EXPECT_EQ(code_of(err), stream_errc::connection_reset);
  // ... and so does every drain from then on.
  err = error_of(a.writer.drain().get(bound));
  EXPECT_EQ(code_of(err), stream_errc::connection_reset);
  EXPECT_TRUE(value_of(a.writer.is_closing().get(bound)));
  // The reader keeps its clean EOF.
  EXPECT_EQ(value_of(a.reader.read().get(bound)), "");
}

TEST_F(MemoryPair, AWriteDrainLoopEndsWithConnectionResetAfterThePeerCloses) {
  // CPython's test_drain_raises: the loop must terminate, not spin.
  auto [a, b] = make_memory_pair(sys());
  b.writer.close();
  ASSERT_TRUE(succeeded(b.writer.wait_closed().get(bound)));
  std::optional<caf::error> failure;
  // The first write breaks the connection; its drain may be answered
  // before the actor learns that, the second drain cannot.
  for (int i = 0; i < 2 && !failure; ++i) {
    a.writer.write("foo\n");
    if (auto x = a.writer.drain().get(bound); !x)
      failure = x.error();
  }
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(code_of(*failure), stream_errc::connection_reset);
}

TEST_F(MemoryPair, DrainAfterCloseFailsWithClosed) {
  auto [a, b] = make_memory_pair(sys());
  a.writer.write("x");
  a.writer.close();
  EXPECT_EQ(code_of(error_of(a.writer.drain().get(bound))),
            stream_errc::closed);
  a.writer.write("y");
  EXPECT_EQ(code_of(error_of(a.writer.drain().get(bound))),
            stream_errc::closed);
  EXPECT_EQ(value_of(b.reader.read().get(bound)), "x");
}

TEST_F(MemoryPair, IsClosingTurnsTrueAtClose) {
  auto [a, b] = make_memory_pair(sys());
  EXPECT_FALSE(value_of(a.writer.is_closing().get(bound)));
  EXPECT_FALSE(value_of(b.writer.is_closing().get(bound)));
  a.writer.close();
  EXPECT_TRUE(value_of(a.writer.is_closing().get(bound)));
}

TEST_F(MemoryPair, WaitClosedRepliesAfterClose) {
  auto [a, b] = make_memory_pair(sys());
  // Before close, wait_closed waits (CAF's request timeout gives up on it).
  EXPECT_EQ(code_of(error_of(a.writer.wait_closed().get(50ms))),
            stream_errc::timeout);
  a.writer.close();
  EXPECT_TRUE(succeeded(a.writer.wait_closed().get(bound)));
  b.writer.close();
  EXPECT_TRUE(succeeded(b.writer.wait_closed().get(bound)));
  // It may be awaited again after the close.
  EXPECT_TRUE(succeeded(a.writer.wait_closed().get(bound)));
}

TEST_F(MemoryPair, AWaitingWaitClosedIsAnsweredByClose) {
  auto [a, b] = make_memory_pair(sys());
  caf::scoped_actor self{sys(), true};
  auto waiting = self->request(a.writer.handle(), bound, wait_closed_atom_v);
  a.writer.close();
  bool replied = false;
  waiting.receive([&] { replied = true; },
                  [&](caf::error& e) { ADD_FAILURE() << describe(e); });
  EXPECT_TRUE(replied);
}

// -- flow control -------------------------------------------------------------

TEST_F(MemoryPairVirtualTime,
       DrainWaitsForAPeerThatDoesNotReadAndResumesWhenItDoes) {
  auto [a, b] = make_memory_pair(sys());
  // More than fits in every buffer on the way: the high-water mark (64 KiB),
  // the peer's read buffer up to its pause threshold (2 x limit) and the
  // read credit in flight (the read window).
  auto sent = fill_until_paused(a, 12);
  auto got = value_of(
    rt.await(b.reader.readexactly(static_cast<int64_t>(sent.size()))));
  EXPECT_EQ(got.size(), sent.size());
  EXPECT_TRUE(got == sent) << "the bytes differ";
  EXPECT_TRUE(succeeded(rt.await(a.writer.drain())));
}

TEST_F(MemoryPair, DrainRepliesAtOnceBelowTheHighWaterMark) {
  auto [a, b] = make_memory_pair(sys());
  a.writer.write(pattern(default_write_high_water));
  EXPECT_TRUE(succeeded(a.writer.drain().get(bound)));
  EXPECT_EQ(value_of(b.reader.readexactly(static_cast<int64_t>(
                                            default_write_high_water))
                       .get(bound)),
            pattern(default_write_high_water));
}

TEST_F(MemoryPairVirtualTime, SeveralDrainersAllResume) {
  auto [a, b] = make_memory_pair(sys());
  auto big = fill_until_paused(a, 16);
  // The writer is paused, so these three wait, and all of them resume.
  std::vector<testing::reply<void>> drains;
  for (int i = 0; i < 3; ++i)
    drains.push_back(rt.start(a.writer.drain()));
  rt.run();
  for (auto& d : drains)
    EXPECT_FALSE(d.ready());
  EXPECT_EQ(value_of(rt.await(
              b.reader.readexactly(static_cast<int64_t>(big.size())))),
            big);
  rt.run();
  for (auto& d : drains)
    EXPECT_TRUE(succeeded(d.take()));
}

TEST_F(MemoryPair, ReadexactlyBeyondThePauseThresholdResumesTheTransport) {
  // The reader pauses above 2 x limit buffered; a read that waits for more
  // must resume it, or it would wait forever.
  memory_pair_options opts;
  opts.limit = 16;
  opts.chunk = 5;
  auto [a, b] = make_memory_pair(sys(), opts);
  const auto sent = pattern(1000, 3);
  a.writer.write(sent);
  EXPECT_EQ(value_of(b.reader.readexactly(1000).get(bound)), sent);
  a.writer.write(sent);
  a.writer.close();
  EXPECT_EQ(value_of(b.reader.read().get(bound)), sent);
}

TEST_F(MemoryPair, APausedReaderResumesWhenReadsDrainItsBuffer) {
  memory_pair_options opts;
  opts.limit = 16;
  opts.chunk = 4;
  auto [a, b] = make_memory_pair(sys(), opts);
  const auto sent = pattern(200, 9);
  a.writer.write(sent);
  a.writer.write_eof();
  // Small reads, each servable from the buffer, never wait: resuming
  // depends on the buffer falling to the limit.
  bytes got;
  for (int i = 0; i < 100 && got.size() < sent.size(); ++i) {
    auto x = b.reader.read(7).get(bound);
    if (!x) {
      ADD_FAILURE() << describe(x.error());
      break;
    }
    got += *x;
  }
  EXPECT_EQ(got, sent);
  EXPECT_EQ(value_of(b.reader.read().get(bound)), "");
}

// -- extra info ---------------------------------------------------------------

TEST_F(MemoryPair, ExtraInfoNamesBothEnds) {
  auto [a, b] = make_memory_pair(sys());
  EXPECT_EQ(value_of(a.writer.get_extra_info("peername").get(bound)),
            "memory:b");
  EXPECT_EQ(value_of(a.writer.get_extra_info("sockname").get(bound)),
            "memory:a");
  EXPECT_EQ(value_of(b.writer.get_extra_info("peername").get(bound)),
            "memory:a");
  EXPECT_EQ(value_of(b.writer.get_extra_info("sockname").get(bound)),
            "memory:b");
}

TEST_F(MemoryPair, UnknownExtraInfoFailsWithInvalidArgument) {
  auto [a, b] = make_memory_pair(sys());
  auto err = error_of(a.writer.get_extra_info("no such thing").get(bound));
  EXPECT_EQ(code_of(err), stream_errc::invalid_argument);
  EXPECT_EQ(message_of(err), "unknown extra info 'no such thing'");
  EXPECT_EQ(code_of(error_of(a.writer.get_extra_info("").get(bound))),
            stream_errc::invalid_argument);
}

// -- handles ------------------------------------------------------------------

TEST_F(MemoryPair, BothHalvesOfOneSideAreTheSameActor) {
  auto [a, b] = make_memory_pair(sys());
  EXPECT_EQ(a.writer.reader(), a.reader);
  EXPECT_EQ(a.writer.handle(), a.reader.handle());
  EXPECT_NE(a.reader, b.reader);
  EXPECT_NE(a.writer, b.writer);
}

} // namespace
} // namespace actorstreams
