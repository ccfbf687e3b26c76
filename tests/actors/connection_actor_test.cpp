#include "actors/connection_actor.hpp"

// Tier 2: the reader semantics of the connection actor, driven in memory
// (make_stream_reader: no transport; feed_data / feed_eof / set_exception).
// Cases 7-42 of CPython's test_streams.py (reference notes, section 2.2) are
// adapted here, plus the deliberate differences of API.md section 3: FIFO
// queueing, timeouts that consume nothing, whole-line readline overruns.
//
// "buffer" in CPython's tests is the private `_buffer`; here `rest_of` reads
// it out through the public API (feed EOF, then read everything).

#include <algorithm>
#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "streams/memory_pair.hpp"
#include "streams/testing.hpp"
#include "test_support.hpp"

namespace actorstreams {
namespace {

using namespace std::chrono_literals;
using testing::bound;
using testing::code_of;
using testing::error_of;
using testing::message_of;
using testing::value_of;

/// CPython's DATA.
const bytes data = "line1\nline2\nline3\n";


/// The error of `x` and its stream_errc, for one-line assertions.
template <class T>
stream_errc errc_of(caf::expected<T> x) {
  return code_of(error_of(std::move(x)));
}

/// The reader's unread bytes: feeds EOF, then reads everything. Ends the
/// reader's life as a byte sink, so call it last.
bytes rest_of(const stream_reader& r) {
  r.feed_eof();
  return value_of(r.read().get(bound), "rest_of");
}

class ConnectionActor : public testing::runtime_test {
protected:
  /// Sends requests at once, so that they are queued before anything the
  /// test sends afterwards (the actor serves its mailbox in order).
  caf::scoped_actor self{sys(), true};

  /// Waits for the reply to a request sent earlier from `self`.
  template <class T = bytes, class Handle>
  caf::expected<T> reply_of(Handle hdl) {
    std::optional<caf::expected<T>> result;
    hdl.receive([&](T& value) { result.emplace(std::move(value)); },
                [&](caf::error& err) { result.emplace(std::move(err)); });
    if (!result)
      return make_error(stream_errc::closed, "no reply");
    return std::move(*result);
  }

  /// A read request as the handles send it, without a deadline, from `self`.
  auto send_read(const stream_reader& r, read_op op, int64_t n = 0,
                 std::vector<bytes> separators = {}) {
    return self->request(r.handle(), bound, read_atom_v,
                         read_request{op, n, std::move(separators)},
                         no_deadline);
  }
};

/// The same actor on the test kit's deterministic runtime: deadlines are
/// virtual (30 s of them take no real time) and what waits behind what is
/// exact, not a matter of timing.
class ConnectionActorVirtualTime : public ::testing::Test {
protected:
  testing::deterministic_runtime rt;

  caf::actor_system& sys() { return rt.system(); }

  bytes rest_of(const stream_reader& r) {
    r.feed_eof();
    return value_of(rt.await(r.read()), "rest_of");
  }
};

// -- CPython 7-16: feeding and read -------------------------------------------

TEST_F(ConnectionActor, FeedingEmptyDataBuffersNothing) {
  auto r = make_stream_reader(sys());
  r.feed_data("");
  EXPECT_FALSE(value_of(r.at_eof().get(bound)));
  EXPECT_EQ(rest_of(r), "");
}

TEST_F(ConnectionActor, FeedingEmptyDataDoesNotWakeAWaitingRead) {
  auto r = make_stream_reader(sys());
  auto waiting = send_read(r, read_op::read, 5);
  r.feed_data("");
  r.feed_data("ab");
  // Woken by the empty chunk, the read would have replied "".
  EXPECT_EQ(value_of(reply_of(waiting)), "ab");
}

TEST_F(ConnectionActor, FeedingDataBuffersItExactly) {
  auto r = make_stream_reader(sys());
  r.feed_data(data);
  EXPECT_EQ(rest_of(r), data);
}

TEST_F(ConnectionActor, ReadZeroReturnsEmptyAndLeavesTheBuffer) {
  auto r = make_stream_reader(sys());
  r.feed_data(data);
  EXPECT_EQ(value_of(r.read(0).get(bound)), "");
  EXPECT_EQ(rest_of(r), data);
}

TEST_F(ConnectionActor, ReadZeroNeverWaitsOnAnEmptyReader) {
  auto r = make_stream_reader(sys());
  EXPECT_EQ(value_of(r.read(0).get(bound)), "");
}

TEST_F(ConnectionActor, AWaitingReadIsCompletedByLaterData) {
  auto r = make_stream_reader(sys());
  auto waiting = send_read(r, read_op::read, 30);
  r.feed_data(data);
  EXPECT_EQ(value_of(reply_of(waiting)), data);
  EXPECT_EQ(rest_of(r), "");
}

TEST_F(ConnectionActor, ReadReturnsAtMostNBytesAcrossChunks) {
  auto r = make_stream_reader(sys());
  r.feed_data("line1");
  r.feed_data("line2");
  EXPECT_EQ(value_of(r.read(5).get(bound)), "line1");
  EXPECT_EQ(rest_of(r), "line2");
}

TEST_F(ConnectionActor, AWaitingReadReturnsEmptyAtEof) {
  auto r = make_stream_reader(sys());
  auto waiting = send_read(r, read_op::read, 1024);
  r.feed_eof();
  EXPECT_EQ(value_of(reply_of(waiting)), "");
  EXPECT_TRUE(value_of(r.at_eof().get(bound)));
}

TEST_F(ConnectionActor, ReadAllWaitsForEofAndReturnsEveryChunk) {
  auto r = make_stream_reader(sys());
  auto waiting = send_read(r, read_op::read, -1);
  r.feed_data("chunk1\n");
  r.feed_data("chunk2");
  r.feed_eof();
  EXPECT_EQ(value_of(reply_of(waiting)), "chunk1\nchunk2");
  EXPECT_EQ(value_of(r.read().get(bound)), "");
}

TEST_F(ConnectionActor, ReadAllAcceptsAnyNegativeSize) {
  auto r = make_stream_reader(sys());
  r.feed_data("abc");
  r.feed_eof();
  EXPECT_EQ(value_of(r.read(-7).get(bound)), "abc");
}

TEST_F(ConnectionActor, ReadAllReturnsMoreThanTwiceTheLimit) {
  auto r = make_stream_reader(sys(), 4);
  auto waiting = send_read(r, read_op::read, -1);
  bytes expected;
  for (char c = 'a'; c <= 'z'; ++c) {
    bytes chunk(3, c);
    expected += chunk;
    r.feed_data(chunk);
  }
  r.feed_eof();
  EXPECT_EQ(value_of(reply_of(waiting)), expected);
}

TEST_F(ConnectionActor, ReadFailsWithTheStoredExceptionDespiteBufferedBytes) {
  auto r = make_stream_reader(sys());
  r.feed_data("line\n");
  EXPECT_EQ(value_of(r.read(2).get(bound)), "li");
  r.set_exception(make_error(stream_errc::connection_reset, "boom"));
  auto err = error_of(r.read(2).get(bound));
  EXPECT_EQ(code_of(err), stream_errc::connection_reset);
  EXPECT_EQ(message_of(err), "boom");
  // The stored exception wins even for read(0) and read(-1).
  EXPECT_EQ(errc_of(r.read(0).get(bound)), stream_errc::connection_reset);
  EXPECT_EQ(errc_of(r.read(-1).get(bound)), stream_errc::connection_reset);
  // The buffered bytes are not at EOF: they stay in the buffer.
  r.feed_eof();
  EXPECT_FALSE(value_of(r.at_eof().get(bound)));
}

TEST_F(ConnectionActor, LimitZeroMakesEveryRequestFailWithInvalidArgument) {
  auto r = make_stream_reader(sys(), 0);
  r.feed_data("line\n");
  auto expect_limit_error = [](caf::expected<bytes> x, const char* what) {
    auto err = error_of(std::move(x));
    EXPECT_EQ(code_of(err), stream_errc::invalid_argument) << what;
    EXPECT_EQ(message_of(err), "Limit cannot be <= 0") << what;
  };
  expect_limit_error(r.read().get(bound), "read()");
  expect_limit_error(r.read(0).get(bound), "read(0)");
  expect_limit_error(r.read(3).get(bound), "read(3)");
  expect_limit_error(r.readline().get(bound), "readline");
  expect_limit_error(r.readexactly(2).get(bound), "readexactly");
  expect_limit_error(r.readuntil("\n").get(bound), "readuntil");
  auto stored = value_of(r.exception().get(bound));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(code_of(*stored), stream_errc::invalid_argument);
}

TEST_F(ConnectionActor, ReadIsNotCappedByTheLimit) {
  auto r = make_stream_reader(sys(), 3);
  r.feed_data("chunk");
  EXPECT_EQ(value_of(r.read(5).get(bound)), "chunk");
  EXPECT_EQ(rest_of(r), "");
}

// -- CPython 17-25: readline and at_eof ---------------------------------------

TEST_F(ConnectionActor, AWaitingReadlineCollectsChunksUntilTheNewline) {
  auto r = make_stream_reader(sys());
  r.feed_data("chunk1 ");
  auto waiting = send_read(r, read_op::readline);
  r.feed_data("chunk2 ");
  r.feed_data("chunk3 ");
  r.feed_data("\n chunk4");
  EXPECT_EQ(value_of(reply_of(waiting)), "chunk1 chunk2 chunk3 \n");
  EXPECT_EQ(rest_of(r), " chunk4");
}

TEST_F(ConnectionActor, ReadlineOverrunWithTheNewlineBufferedDropsTheLine) {
  auto r = make_stream_reader(sys(), 3);
  r.feed_data("li");
  r.feed_data("ne1\nline2\n");
  auto err = error_of(r.readline().get(bound));
  auto overrun = as_limit_overrun(err);
  ASSERT_TRUE(overrun.has_value()) << describe(err);
  EXPECT_EQ(overrun->message,
            "Separator is found, but chunk is longer than limit");
  EXPECT_EQ(overrun->consumed, 5u);
  EXPECT_EQ(rest_of(r), "line2\n");
}

TEST_F(ConnectionActor, ReadlineOverrunWithoutANewlineEmptiesTheBuffer) {
  auto r = make_stream_reader(sys(), 3);
  r.feed_data("li");
  r.feed_data("ne1");
  r.feed_data("li");
  auto err = error_of(r.readline().get(bound));
  auto overrun = as_limit_overrun(err);
  ASSERT_TRUE(overrun.has_value()) << describe(err);
  EXPECT_EQ(overrun->message,
            "Separator is not found, and chunk exceed the limit");
  EXPECT_EQ(rest_of(r), "");
}

TEST_F(ConnectionActor, AtEofIsTrueOnlyAfterEofWithAnEmptyBuffer) {
  auto r = make_stream_reader(sys());
  EXPECT_FALSE(value_of(r.at_eof().get(bound)));
  r.feed_data("some data\n");
  EXPECT_FALSE(value_of(r.at_eof().get(bound)));
  EXPECT_EQ(value_of(r.readline().get(bound)), "some data\n");
  EXPECT_FALSE(value_of(r.at_eof().get(bound)));
  r.feed_data("some data\n");
  r.feed_eof();
  EXPECT_FALSE(value_of(r.at_eof().get(bound)));
  EXPECT_EQ(value_of(r.readline().get(bound)), "some data\n");
  EXPECT_TRUE(value_of(r.at_eof().get(bound)));
}

TEST_F(ConnectionActor, AWaitingReadlineFailsOnceTheLineOutgrowsTheLimit) {
  // CPython 20a: limit 7, the line arrives in pieces.
  auto r = make_stream_reader(sys(), 7);
  auto waiting = send_read(r, read_op::readline);
  r.feed_data("chunk1");
  r.feed_data("chunk2");
  r.feed_data("chunk3\n");
  r.feed_eof();
  auto err = error_of(reply_of(waiting));
  EXPECT_EQ(code_of(err), stream_errc::limit_overrun);
  EXPECT_TRUE(as_limit_overrun(err).has_value());
  // Unlike asyncio, "chunk3\n" (the rest of the long line) is dropped too.
  EXPECT_EQ(value_of(r.read().get(bound)), "");
}

TEST_F(ConnectionActor, AWaitingReadlineOverrunKeepsTheNextLine) {
  // CPython 20b.
  auto r = make_stream_reader(sys(), 7);
  auto waiting = send_read(r, read_op::readline);
  r.feed_data("chunk1");
  r.feed_data("chunk2\n");
  r.feed_data("chunk3\n");
  r.feed_eof();
  EXPECT_EQ(errc_of(reply_of(waiting)), stream_errc::limit_overrun);
  EXPECT_EQ(value_of(r.read().get(bound)), "chunk3\n");
}

TEST_F(ConnectionActor, ReadlineAcceptsALineOfExactlyTheLimit) {
  // CPython 20c.
  auto r = make_stream_reader(sys(), 7);
  r.feed_data("1234567\n");
  EXPECT_EQ(value_of(r.readline().get(bound)), "1234567\n");
  r.feed_data("12345678\n");
  EXPECT_EQ(errc_of(r.readline().get(bound)), stream_errc::limit_overrun);
  r.feed_data("12345678");
  EXPECT_EQ(errc_of(r.readline().get(bound)), stream_errc::limit_overrun);
  // The last overrun is still discarding its line: the rest goes too.
  r.feed_data("9\nnext\n");
  EXPECT_EQ(rest_of(r), "next\n");
}

TEST_F(ConnectionActor, ReadlineReturnsOnlyTheFirstLine) {
  auto r = make_stream_reader(sys());
  r.feed_data(data.substr(0, 6));
  r.feed_data(data.substr(6));
  EXPECT_EQ(value_of(r.readline().get(bound)), "line1\n");
  EXPECT_EQ(rest_of(r), "line2\nline3\n");
}

TEST_F(ConnectionActor, ReadlineReturnsThePartialLineAtEof) {
  auto r = make_stream_reader(sys());
  r.feed_data("some data");
  r.feed_eof();
  EXPECT_EQ(value_of(r.readline().get(bound)), "some data");
  EXPECT_TRUE(value_of(r.at_eof().get(bound)));
}

TEST_F(ConnectionActor, ReadlineReturnsEmptyAtCleanEof) {
  auto r = make_stream_reader(sys());
  r.feed_eof();
  EXPECT_EQ(value_of(r.readline().get(bound)), "");
  EXPECT_EQ(value_of(r.readline().get(bound)), "");
}

TEST_F(ConnectionActor, ReadAfterReadlineStartsAfterTheLine) {
  auto r = make_stream_reader(sys());
  r.feed_data(data);
  EXPECT_EQ(value_of(r.readline().get(bound)), "line1\n");
  EXPECT_EQ(value_of(r.read(7).get(bound)), "line2\nl");
  EXPECT_EQ(rest_of(r), "ine3\n");
}

TEST_F(ConnectionActor, ReadlineFailsWithTheStoredException) {
  auto r = make_stream_reader(sys());
  r.feed_data("line\n");
  EXPECT_EQ(value_of(r.readline().get(bound)), "line\n");
  r.feed_data("more\n");
  r.set_exception(make_error(stream_errc::connection_reset, "boom"));
  EXPECT_EQ(errc_of(r.readline().get(bound)), stream_errc::connection_reset);
}

// -- CPython 26-34: readuntil -------------------------------------------------

TEST_F(ConnectionActor, ReaduntilRejectsEmptySeparators) {
  auto r = make_stream_reader(sys());
  r.feed_data(data);
  auto err = error_of(r.readuntil(bytes{}).get(bound));
  EXPECT_EQ(code_of(err), stream_errc::invalid_argument);
  EXPECT_EQ(message_of(err), "Separator should be at least one-byte string");
  err = error_of(r.readuntil(std::vector<bytes>{bytes{}}).get(bound));
  EXPECT_EQ(code_of(err), stream_errc::invalid_argument);
  EXPECT_EQ(message_of(err), "Separator should be at least one-byte string");
  err = error_of(r.readuntil(std::vector<bytes>{"\n", ""}).get(bound));
  EXPECT_EQ(message_of(err), "Separator should be at least one-byte string");
  err = error_of(r.readuntil(std::vector<bytes>{}).get(bound));
  EXPECT_EQ(code_of(err), stream_errc::invalid_argument);
  EXPECT_EQ(message_of(err), "Separator should contain at least one element");
  EXPECT_EQ(rest_of(r), data);
}

TEST_F(ConnectionActor, ArgumentChecksComeBeforeTheStoredException) {
  auto r = make_stream_reader(sys());
  r.set_exception(make_error(stream_errc::connection_reset, "boom"));
  auto err = error_of(r.readexactly(-1).get(bound));
  EXPECT_EQ(code_of(err), stream_errc::invalid_argument);
  EXPECT_EQ(message_of(err), "readexactly size can not be less than zero");
  err = error_of(r.readuntil(bytes{}).get(bound));
  EXPECT_EQ(code_of(err), stream_errc::invalid_argument);
  // A valid request gets the stored exception, even readexactly(0).
  EXPECT_EQ(errc_of(r.readexactly(0).get(bound)),
            stream_errc::connection_reset);
}

TEST_F(ConnectionActor, ReaduntilReturnsThroughAMultiByteSeparator) {
  auto r = make_stream_reader(sys());
  r.feed_data("lineAAA");
  EXPECT_EQ(value_of(r.readuntil("AAA").get(bound)), "lineAAA");
  r.feed_data("lineAAA");
  EXPECT_EQ(value_of(r.readuntil(std::vector<bytes>{"AAA"}).get(bound)),
            "lineAAA");
  r.feed_data("lineAAAxxx");
  EXPECT_EQ(value_of(r.readuntil("AAA").get(bound)), "lineAAA");
  EXPECT_EQ(rest_of(r), "xxx");
}

TEST_F(ConnectionActor, ReaduntilFindsASeparatorSplitAcrossChunks) {
  struct round {
    std::vector<bytes> chunks;
    bytes expected;
  };
  const std::vector<round> rounds{
    {{"QWEaa", "XYaa", "a"}, "QWEaaXYaaa"},
    {{"QWEaa", "XYa", "aa"}, "QWEaaXYaaa"},
    {{"aaa"}, "aaa"},
    {{"Xaaa"}, "Xaaa"},
    {{"XXX", "a", "a", "a"}, "XXXaaa"},
  };
  auto r = make_stream_reader(sys());
  for (const auto& x : rounds) {
    for (const auto& chunk : x.chunks)
      r.feed_data(chunk);
    EXPECT_EQ(value_of(r.readuntil("aaa").get(bound)), x.expected);
  }
  EXPECT_EQ(rest_of(r), "");
}

TEST_F(ConnectionActor, AWaitingReaduntilFindsASeparatorSplitAcrossChunks) {
  auto r = make_stream_reader(sys());
  auto waiting = send_read(r, read_op::readuntil, 0, {"aaa"});
  for (const auto* chunk : {"QWEaa", "XYa", "a", "aZ"})
    r.feed_data(chunk);
  EXPECT_EQ(value_of(reply_of(waiting)), "QWEaaXYaaa");
  EXPECT_EQ(rest_of(r), "Z");
}

TEST_F(ConnectionActor, ReaduntilAtEofFailsWithTheWholeBufferAsPartial) {
  auto r = make_stream_reader(sys());
  r.feed_data("some dataAA");
  r.feed_eof();
  auto err = error_of(r.readuntil("AAA").get(bound));
  EXPECT_EQ(code_of(err), stream_errc::incomplete_read);
  auto incomplete = as_incomplete_read(err);
  ASSERT_TRUE(incomplete.has_value()) << describe(err);
  EXPECT_EQ(incomplete->partial, "some dataAA");
  EXPECT_FALSE(incomplete->expected.has_value());
  EXPECT_EQ(incomplete->message(),
            "11 bytes read on a total of undefined expected bytes");
  EXPECT_EQ(value_of(r.read().get(bound)), "");
}

TEST_F(ConnectionActor, ReaduntilOverrunKeepsTheBuffer) {
  auto r = make_stream_reader(sys(), 3);
  r.feed_data("some dataAA");
  auto err = error_of(r.readuntil("AAA").get(bound));
  auto overrun = as_limit_overrun(err);
  ASSERT_TRUE(overrun.has_value()) << describe(err);
  EXPECT_EQ(overrun->message,
            "Separator is not found, and chunk exceed the limit");
  EXPECT_EQ(overrun->consumed, 9u);
  r.feed_data("A");
  err = error_of(r.readuntil("AAA").get(bound));
  overrun = as_limit_overrun(err);
  ASSERT_TRUE(overrun.has_value()) << describe(err);
  EXPECT_EQ(overrun->message,
            "Separator is found, but chunk is longer than limit");
  EXPECT_EQ(overrun->consumed, 9u);
  EXPECT_EQ(rest_of(r), "some dataAAA");
}

TEST_F(ConnectionActor, ReaduntilWithSeveralSeparatorsTakesTheEarliestEnd) {
  auto r = make_stream_reader(sys());
  r.feed_data("line 1\nline 2\r");
  const std::vector<bytes> crlf{"\r", "\n"};
  EXPECT_EQ(value_of(r.readuntil(crlf).get(bound)), "line 1\n");
  EXPECT_EQ(value_of(r.readuntil(crlf).get(bound)), "line 2\r");
  r.feed_data("ABCDEFG");
  // "BCDE" ends before "DEF" does: the earliest end wins, not the shortest.
  EXPECT_EQ(value_of(r.readuntil(std::vector<bytes>{"DEF", "BCDE"}).get(bound)),
            "ABCDE");
  EXPECT_EQ(rest_of(r), "FG");
}

TEST_F(ConnectionActor,
       ReaduntilOverrunWithSeveralSeparatorsCountsTheShortest) {
  auto r = make_stream_reader(sys(), 3);
  r.feed_data("some dataA");
  auto err
    = error_of(r.readuntil(std::vector<bytes>{"A", "ome dataA"}).get(bound));
  auto overrun = as_limit_overrun(err);
  ASSERT_TRUE(overrun.has_value()) << describe(err);
  EXPECT_EQ(overrun->message,
            "Separator is found, but chunk is longer than limit");
  EXPECT_EQ(overrun->consumed, 9u);
  EXPECT_EQ(rest_of(r), "some dataA");
}

TEST_F(ConnectionActor, ReaduntilSearchOffsetNeverGoesNegative) {
  auto r = make_stream_reader(sys());
  r.feed_data("data");
  auto waiting = send_read(r, read_op::readuntil, 0, {"A", "long sep"});
  r.feed_data("Z");
  r.feed_data("Aaaa");
  EXPECT_EQ(value_of(reply_of(waiting)), "dataZA");
  EXPECT_EQ(rest_of(r), "aaa");
}

TEST_F(ConnectionActor, ReaduntilReturnsThroughACrLfSeparator) {
  auto r = make_stream_reader(sys());
  r.feed_data("some data\r\n");
  EXPECT_EQ(value_of(r.readuntil("\r\n").get(bound)), "some data\r\n");
  EXPECT_EQ(rest_of(r), "");
}

// -- CPython 35-42: readexactly, exceptions -----------------------------------

TEST_F(ConnectionActor, ReadexactlyZeroReturnsEmptyAndNegativeFails) {
  auto r = make_stream_reader(sys());
  r.feed_data(data);
  EXPECT_EQ(value_of(r.readexactly(0).get(bound)), "");
  auto err = error_of(r.readexactly(-1).get(bound));
  EXPECT_EQ(code_of(err), stream_errc::invalid_argument);
  EXPECT_EQ(message_of(err), "readexactly size can not be less than zero");
  EXPECT_EQ(rest_of(r), data);
}

TEST_F(ConnectionActor, AWaitingReadexactlyTakesExactlyNBytes) {
  auto r = make_stream_reader(sys());
  auto n = static_cast<int64_t>(2 * data.size());
  auto waiting = send_read(r, read_op::readexactly, n);
  r.feed_data(data);
  r.feed_data(data);
  r.feed_data(data);
  EXPECT_EQ(value_of(reply_of(waiting)), data + data);
  EXPECT_EQ(rest_of(r), data);
}

TEST_F(ConnectionActor, ReadexactlyIsNotCappedByTheLimit) {
  auto r = make_stream_reader(sys(), 3);
  r.feed_data("chunk");
  EXPECT_EQ(value_of(r.readexactly(5).get(bound)), "chunk");
  EXPECT_EQ(rest_of(r), "");
}

TEST_F(ConnectionActor, ReadexactlyAtEofFailsWithThePartialBytes) {
  auto r = make_stream_reader(sys());
  auto n = static_cast<int64_t>(2 * data.size());
  auto waiting = send_read(r, read_op::readexactly, n);
  r.feed_data(data);
  r.feed_eof();
  auto err = error_of(reply_of(waiting));
  EXPECT_EQ(code_of(err), stream_errc::incomplete_read);
  auto incomplete = as_incomplete_read(err);
  ASSERT_TRUE(incomplete.has_value()) << describe(err);
  EXPECT_EQ(incomplete->partial, data);
  EXPECT_EQ(incomplete->expected, std::optional<std::size_t>{36});
  EXPECT_EQ(incomplete->message(),
            "18 bytes read on a total of 36 expected bytes");
  EXPECT_TRUE(value_of(r.at_eof().get(bound)));
}

TEST_F(ConnectionActor, ReadexactlyAtCleanEofFailsWithNothingRead) {
  auto r = make_stream_reader(sys());
  r.feed_eof();
  auto incomplete = as_incomplete_read(error_of(r.readexactly(1).get(bound)));
  ASSERT_TRUE(incomplete.has_value());
  EXPECT_EQ(incomplete->partial, "");
  EXPECT_EQ(incomplete->message(),
            "0 bytes read on a total of 1 expected bytes");
}

TEST_F(ConnectionActor, ReadexactlyFailsWithTheStoredException) {
  auto r = make_stream_reader(sys());
  r.feed_data("line\n");
  EXPECT_EQ(value_of(r.readexactly(2).get(bound)), "li");
  r.set_exception(make_error(stream_errc::connection_reset, "boom"));
  EXPECT_EQ(errc_of(r.readexactly(2).get(bound)),
            stream_errc::connection_reset);
}

TEST_F(ConnectionActor, ExceptionReturnsTheStoredError) {
  auto r = make_stream_reader(sys());
  EXPECT_EQ(value_of(r.exception().get(bound)), std::nullopt);
  // Any caf::error is stored as it is, not only stream errors.
  auto boom = caf::make_error(caf::sec::runtime_error, std::string{"boom"});
  r.set_exception(boom);
  auto stored = value_of(r.exception().get(bound));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(*stored, boom);
  EXPECT_EQ(describe(*stored), describe(boom));
  auto err = error_of(r.read().get(bound));
  EXPECT_EQ(err, boom);
  EXPECT_EQ(describe(err), describe(boom));
}

TEST_F(ConnectionActor, SetExceptionWinsOverBufferedData) {
  auto r = make_stream_reader(sys());
  r.feed_data("buffered\n");
  r.set_exception(make_error(stream_errc::connection_reset, "boom"));
  EXPECT_EQ(errc_of(r.read(1).get(bound)), stream_errc::connection_reset);
  EXPECT_EQ(errc_of(r.readline().get(bound)), stream_errc::connection_reset);
  EXPECT_EQ(errc_of(r.readexactly(1).get(bound)),
            stream_errc::connection_reset);
  EXPECT_EQ(errc_of(r.readuntil("\n").get(bound)),
            stream_errc::connection_reset);
}

TEST_F(ConnectionActor, SetExceptionFailsEveryWaitingReader) {
  auto r = make_stream_reader(sys());
  auto first = send_read(r, read_op::readline);
  auto second = send_read(r, read_op::readexactly, 3);
  r.set_exception(make_error(stream_errc::connection_reset, "boom"));
  auto err = error_of(reply_of(first));
  EXPECT_EQ(code_of(err), stream_errc::connection_reset);
  EXPECT_EQ(message_of(err), "boom");
  EXPECT_EQ(errc_of(reply_of(second)), stream_errc::connection_reset);
}

TEST_F(ConnectionActorVirtualTime, SetExceptionAfterAWaiterGaveUpIsHarmless) {
  // CPython 42, with a timeout in place of cancellation.
  auto r = make_stream_reader(sys());
  EXPECT_EQ(errc_of(rt.await(r.readline(), 30s)), stream_errc::timeout);
  r.set_exception(make_error(stream_errc::connection_reset, "message"));
  auto stored = value_of(rt.await(r.exception()));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(message_of(*stored), "message");
  EXPECT_EQ(errc_of(rt.await(r.readline())), stream_errc::connection_reset);
}

// -- FIFO ---------------------------------------------------------------------

TEST_F(ConnectionActor, QueuedRequestsAreAnsweredStrictlyInOrder) {
  auto r = make_stream_reader(sys());
  auto h = r.handle();
  auto first = self->request(h, bound, readline_atom_v);
  auto second = self->request(h, bound, readline_atom_v);
  auto third = self->request(h, bound, readline_atom_v);
  r.feed_data("a\nbb\n");
  r.feed_data("ccc\n");
  EXPECT_EQ(value_of(reply_of(first)), "a\n");
  EXPECT_EQ(value_of(reply_of(second)), "bb\n");
  EXPECT_EQ(value_of(reply_of(third)), "ccc\n");
}

TEST_F(ConnectionActor, QueuedRequestsOfEveryKindAreAnsweredInOrder) {
  auto r = make_stream_reader(sys());
  auto h = r.handle();
  auto exactly = self->request(h, bound, readexactly_atom_v, int64_t{2});
  auto line = self->request(h, bound, readline_atom_v);
  auto some = self->request(h, bound, read_atom_v, int64_t{3});
  auto until = self->request(h, bound, readuntil_atom_v,
                             std::vector<bytes>{"XY"});
  auto all = self->request(h, bound, read_atom_v, int64_t{-1});
  r.feed_data("ab");
  r.feed_data("cd\nefghXY");
  r.feed_data("tail");
  r.feed_eof();
  EXPECT_EQ(value_of(reply_of(exactly)), "ab");
  EXPECT_EQ(value_of(reply_of(line)), "cd\n");
  EXPECT_EQ(value_of(reply_of(some)), "efg");
  EXPECT_EQ(value_of(reply_of(until)), "hXY");
  EXPECT_EQ(value_of(reply_of(all)), "tail");
}

TEST_F(ConnectionActor, ARequestServableFromTheBufferWaitsBehindAWaitingOne) {
  auto r = make_stream_reader(sys());
  r.feed_data("abc");
  auto first = send_read(r, read_op::readexactly, 10);
  auto second = send_read(r, read_op::read, 2);
  r.feed_data("defghijk");
  EXPECT_EQ(value_of(reply_of(first)), "abcdefghij");
  EXPECT_EQ(value_of(reply_of(second)), "k");
}

TEST_F(ConnectionActorVirtualTime, ASecondWaitingReaderIsQueuedNotAnError) {
  auto r = make_stream_reader(sys());
  auto first = rt.start(r.readline());
  auto second = rt.start(r.readline());
  rt.run();
  // Both wait; neither is refused (asyncio raises RuntimeError).
  EXPECT_FALSE(first.ready());
  EXPECT_FALSE(second.ready());
  r.feed_data("one\ntwo\n");
  rt.run();
  EXPECT_EQ(value_of(first.take()), "one\n");
  EXPECT_EQ(value_of(second.take()), "two\n");
}

TEST_F(ConnectionActor, TwoThreadsWaitingOnOneReaderAreBothServed) {
  // The same on the threaded runtime, from two threads at once.
  auto r = make_stream_reader(sys());
  std::optional<caf::expected<bytes>> first;
  std::optional<caf::expected<bytes>> second;
  std::thread t1{[&] { first.emplace(r.readline().get(bound)); }};
  std::thread t2{[&] { second.emplace(r.readline().get(bound)); }};
  r.feed_data("one\ntwo\n");
  t1.join();
  t2.join();
  ASSERT_TRUE(first && second);
  std::vector<bytes> lines{value_of(std::move(*first), "first"),
                           value_of(std::move(*second), "second")};
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines, (std::vector<bytes>{"one\n", "two\n"}));
}

// -- timeouts and laziness ----------------------------------------------------

TEST_F(ConnectionActorVirtualTime, ATimedOutReadexactlyConsumesNothing) {
  auto r = make_stream_reader(sys());
  r.feed_data("01234");
  auto start = rt.now();
  auto err = error_of(rt.await(r.readexactly(10), 30s));
  EXPECT_EQ(code_of(err), stream_errc::timeout);
  EXPECT_EQ(rt.now() - start, caf::timespan{30s});
  r.feed_data("56789");
  EXPECT_EQ(value_of(rt.await(r.readexactly(10))), "0123456789");
}

TEST_F(ConnectionActorVirtualTime, ATimedOutReadlineConsumesNothing) {
  auto r = make_stream_reader(sys());
  r.feed_data("hello ");
  EXPECT_EQ(errc_of(rt.await(r.readline(), 30s)), stream_errc::timeout);
  r.feed_data("world\n");
  EXPECT_EQ(value_of(rt.await(r.readline())), "hello world\n");
}

TEST_F(ConnectionActorVirtualTime, ATimedOutReaduntilConsumesNothing) {
  auto r = make_stream_reader(sys());
  r.feed_data("key=va");
  EXPECT_EQ(errc_of(rt.await(r.readuntil(";;"), 30s)), stream_errc::timeout);
  r.feed_data("lue;");
  EXPECT_EQ(errc_of(rt.await(r.readuntil(";;"), 30s)), stream_errc::timeout);
  r.feed_data(";rest");
  EXPECT_EQ(value_of(rt.await(r.readuntil(";;"))), "key=value;;");
  EXPECT_EQ(rest_of(r), "rest");
}

TEST_F(ConnectionActorVirtualTime, ATimedOutReadConsumesNothing) {
  auto r = make_stream_reader(sys());
  EXPECT_EQ(errc_of(rt.await(r.read(5), 30s)), stream_errc::timeout);
  r.feed_data("abc");
  EXPECT_EQ(errc_of(rt.await(r.read(-1), 30s)), stream_errc::timeout);
  r.feed_data("defgh");
  EXPECT_EQ(value_of(rt.await(r.read(5))), "abcde");
  r.feed_eof();
  EXPECT_EQ(value_of(rt.await(r.read(-1))), "fgh");
}

TEST_F(ConnectionActor, ATimedOutReadConsumesNothingInRealTimeToo) {
  // The threaded runtime's clock and deadline relay: one real deadline.
  auto r = make_stream_reader(sys());
  r.feed_data("01234");
  EXPECT_EQ(errc_of(r.readexactly(10).get(50ms)), stream_errc::timeout);
  r.feed_data("56789");
  EXPECT_EQ(value_of(r.readexactly(10).get(bound)), "0123456789");
}

TEST_F(ConnectionActor, AZeroTimeoutStillServesBufferedData) {
  auto r = make_stream_reader(sys());
  r.feed_data("abc\n");
  EXPECT_EQ(value_of(r.readexactly(2).get(0ms)), "ab");
  EXPECT_EQ(value_of(r.readline().get(0ms)), "c\n");
  EXPECT_EQ(errc_of(r.readline().get(0ms)), stream_errc::timeout);
  EXPECT_EQ(errc_of(r.read(1).get(-5ms)), stream_errc::timeout);
  r.feed_data("d");
  EXPECT_EQ(value_of(r.read(1).get(0ms)), "d");
}

TEST_F(ConnectionActorVirtualTime, ATimedOutRequestBehindAnotherKeepsTheOrder) {
  auto r = make_stream_reader(sys());
  r.feed_data("abc");
  auto first = rt.start(r.readexactly(10));
  // Queued behind `first`, the read(2) could be served from "abc": it times
  // out without taking anything, and so does the readline.
  EXPECT_EQ(errc_of(rt.await(r.read(2), 30s)), stream_errc::timeout);
  EXPECT_EQ(errc_of(rt.await(r.readline(), 30s)), stream_errc::timeout);
  EXPECT_FALSE(first.ready());
  r.feed_data("defghij\nk\n");
  rt.run();
  EXPECT_EQ(value_of(first.take()), "abcdefghij");
  EXPECT_EQ(value_of(rt.await(r.readline())), "\n");
  EXPECT_EQ(rest_of(r), "k\n");
}

TEST_F(ConnectionActorVirtualTime, AWaiterBehindATimedOutOneIsServedWhenItsTurnComes) {
  auto r = make_stream_reader(sys());
  r.feed_data("ab");
  // The first waiter has a deadline; the one behind it does not.
  auto first = rt.start(r.readexactly(5).with_timeout(30s));
  auto second = rt.start(r.read(10));
  rt.run();
  EXPECT_FALSE(first.ready());
  EXPECT_FALSE(second.ready()) << "served before its turn";
  EXPECT_EQ(rt.advance_time(29s), 0u);
  rt.run();
  EXPECT_FALSE(first.ready());
  EXPECT_GE(rt.advance_time(1s), 1u);
  rt.run();
  EXPECT_EQ(errc_of(first.take()), stream_errc::timeout);
  // With the first one gone, the second is served from the buffer at once.
  EXPECT_EQ(value_of(second.take()), "ab");
}

TEST_F(ConnectionActor, APendingDroppedUnawaitedConsumesNothing) {
  auto r = make_stream_reader(sys());
  r.feed_data("abcdef");
  {
    auto dropped = r.readexactly(3);
    auto also_dropped = r.read();
  }
  EXPECT_EQ(value_of(r.readexactly(3).get(bound)), "abc");
  EXPECT_EQ(rest_of(r), "def");
}

TEST_F(ConnectionActor, APendingAwaitedTwiceFailsWithInvalidArgument) {
  auto r = make_stream_reader(sys());
  r.feed_data("abcdef");
  auto p = r.readexactly(2);
  EXPECT_EQ(value_of(p.get(bound)), "ab");
  EXPECT_EQ(errc_of(p.get(bound)), stream_errc::invalid_argument);
  EXPECT_EQ(errc_of(p.get()), stream_errc::invalid_argument);
  // The second await sent nothing.
  EXPECT_EQ(rest_of(r), "cdef");
}

// -- feeding errors, overruns -------------------------------------------------

TEST_F(ConnectionActor, FeedDataAfterFeedEofSurfacesAsInvalidArgument) {
  auto r = make_stream_reader(sys());
  r.feed_data("abc");
  r.feed_eof();
  r.feed_data("late");
  auto err = error_of(r.read().get(bound));
  EXPECT_EQ(code_of(err), stream_errc::invalid_argument);
  EXPECT_EQ(message_of(err), "feed_data after feed_eof");
}

TEST_F(ConnectionActor, FeedingEmptyDataAfterFeedEofIsAnErrorToo) {
  auto r = make_stream_reader(sys());
  r.feed_eof();
  r.feed_data("");
  EXPECT_EQ(errc_of(r.read().get(bound)), stream_errc::invalid_argument);
}

TEST_F(ConnectionActor, FeedEofTwiceIsHarmless) {
  auto r = make_stream_reader(sys());
  r.feed_data("x");
  r.feed_eof();
  r.feed_eof();
  EXPECT_EQ(value_of(r.read().get(bound)), "x");
  EXPECT_TRUE(value_of(r.at_eof().get(bound)));
}

TEST_F(ConnectionActor, ReadlineOverrunDiscardsTheRestOfTheLineFedLater) {
  auto r = make_stream_reader(sys(), 7);
  r.feed_data("chunk1chunk2");
  auto err = error_of(r.readline().get(bound));
  auto overrun = as_limit_overrun(err);
  ASSERT_TRUE(overrun.has_value()) << describe(err);
  EXPECT_EQ(overrun->message,
            "Separator is not found, and chunk exceed the limit");
  // asyncio would return "chunk3 still the same line\n" next.
  r.feed_data("chunk3 ");
  r.feed_data("still the same line\nnext\n");
  EXPECT_EQ(value_of(r.readline().get(bound)), "next\n");
  EXPECT_EQ(rest_of(r), "");
}

TEST_F(ConnectionActor, AWaitingReadlineBehindAnOverrunGetsTheNextWholeLine) {
  auto r = make_stream_reader(sys(), 4);
  auto first = send_read(r, read_op::readline);
  auto second = send_read(r, read_op::readline);
  r.feed_data("toolong");
  r.feed_data("stillthesame\nok\n");
  EXPECT_EQ(errc_of(reply_of(first)), stream_errc::limit_overrun);
  EXPECT_EQ(value_of(reply_of(second)), "ok\n");
}

// -- the message protocol (API.md section 3a) ---------------------------------

TEST_F(ConnectionActor, TheReadMessagesWorkAsDocumented) {
  auto r = make_stream_reader(sys());
  auto h = r.handle();
  self->send(h, feed_data_atom_v, bytes{"abcdef\nxyz--tail"});
  EXPECT_EQ(value_of(reply_of(self->request(h, bound, read_atom_v,
                                            int64_t{2}))),
            "ab");
  EXPECT_EQ(value_of(reply_of(self->request(h, bound, readline_atom_v))),
            "cdef\n");
  EXPECT_EQ(value_of(reply_of(self->request(h, bound, readexactly_atom_v,
                                            int64_t{3}))),
            "xyz");
  EXPECT_EQ(value_of(reply_of(self->request(h, bound, readuntil_atom_v,
                                            std::vector<bytes>{"--", "-"}))),
            "-");
  EXPECT_FALSE(
    value_of(reply_of<bool>(self->request(h, bound, at_eof_atom_v))));
  self->send(h, feed_eof_atom_v);
  EXPECT_EQ(value_of(reply_of(self->request(h, bound, read_atom_v,
                                            int64_t{-1}))),
            "-tail");
  EXPECT_TRUE(value_of(reply_of<bool>(self->request(h, bound, at_eof_atom_v))));
  // Errors come back as caf::error, exactly as through the handles.
  auto err = error_of(reply_of(self->request(h, bound, readexactly_atom_v,
                                             int64_t{4})));
  auto incomplete = as_incomplete_read(err);
  ASSERT_TRUE(incomplete.has_value()) << describe(err);
  EXPECT_EQ(incomplete->partial, "");
  EXPECT_EQ(incomplete->expected, std::optional<std::size_t>{4});
  err = error_of(reply_of(self->request(h, bound, readexactly_atom_v,
                                        int64_t{-1})));
  EXPECT_EQ(code_of(err), stream_errc::invalid_argument);
  err = error_of(reply_of(self->request(h, bound, readuntil_atom_v,
                                        std::vector<bytes>{})));
  EXPECT_EQ(code_of(err), stream_errc::invalid_argument);
}

TEST_F(ConnectionActor, AWaitingProtocolReadIsCompletedByAFeedMessage) {
  auto r = make_stream_reader(sys());
  auto h = r.handle();
  auto waiting = self->request(h, bound, readexactly_atom_v, int64_t{4});
  caf::anon_send(h, feed_data_atom_v, bytes{"ab"});
  caf::anon_send(h, feed_data_atom_v, bytes{"cde"});
  EXPECT_EQ(value_of(reply_of(waiting)), "abcd");
}

TEST_F(ConnectionActor, TheExtensionMessagesWorkAsDocumented) {
  auto r = make_stream_reader(sys());
  auto h = r.handle();
  self->send(h, feed_data_atom_v, bytes{"abc"});
  // (read_atom, read_request, deadline): times out, consumes nothing.
  auto err = error_of(reply_of(self->request(
    h, bound, read_atom_v, read_request{read_op::readline, 0, {}},
    caf::timespan{20ms})));
  EXPECT_EQ(code_of(err), stream_errc::timeout);
  EXPECT_EQ(value_of(reply_of(self->request(
              h, bound, read_atom_v, read_request{read_op::read, 10, {}},
              no_deadline))),
            "abc");
  // (exception_atom) replies a stored_exception; none before set_exception.
  std::optional<stored_exception> stored;
  self->request(h, bound, exception_atom_v)
    .receive([&](stored_exception& x) { stored = std::move(x); },
             [&](caf::error& e) { ADD_FAILURE() << describe(e); });
  ASSERT_TRUE(stored.has_value());
  EXPECT_FALSE(stored->error);
  self->send(h, set_exception_atom_v,
             make_error(stream_errc::connection_reset, "boom"));
  stored.reset();
  self->request(h, bound, exception_atom_v)
    .receive([&](stored_exception& x) { stored = std::move(x); },
             [&](caf::error& e) { ADD_FAILURE() << describe(e); });
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(code_of(stored->error), stream_errc::connection_reset);
}

TEST_F(ConnectionActor, TheWriteMessagesWorkAsDocumented) {
  auto [a, b] = make_memory_pair(sys());
  auto ha = a.writer.handle();
  auto hb = b.reader.handle();
  self->send(ha, write_atom_v, bytes{"hello "});
  self->send(ha, writelines_atom_v, std::vector<bytes>{"wor", "ld\n"});
  std::optional<caf::expected<void>> drained;
  self->request(ha, bound, drain_atom_v)
    .receive([&] { drained.emplace(); },
             [&](caf::error& e) { drained.emplace(std::move(e)); });
  ASSERT_TRUE(drained.has_value());
  EXPECT_TRUE(*drained) << describe(drained->error());
  EXPECT_EQ(value_of(reply_of(self->request(hb, bound, readline_atom_v))),
            "hello world\n");
  EXPECT_EQ(value_of(reply_of(self->request(ha, bound, extra_info_atom_v,
                                            std::string{"peername"}))),
            "memory:b");
  EXPECT_TRUE(
    value_of(reply_of<bool>(self->request(ha, bound, can_write_eof_atom_v))));
  self->send(ha, write_atom_v, bytes{"last"});
  self->send(ha, write_eof_atom_v);
  EXPECT_EQ(value_of(reply_of(self->request(hb, bound, read_atom_v,
                                            int64_t{-1}))),
            "last");
  EXPECT_FALSE(
    value_of(reply_of<bool>(self->request(ha, bound, is_closing_atom_v))));
  self->send(ha, close_atom_v);
  EXPECT_TRUE(
    value_of(reply_of<bool>(self->request(ha, bound, is_closing_atom_v))));
  std::optional<caf::expected<void>> closed;
  self->request(ha, bound, wait_closed_atom_v)
    .receive([&] { closed.emplace(); },
             [&](caf::error& e) { closed.emplace(std::move(e)); });
  ASSERT_TRUE(closed.has_value());
  EXPECT_TRUE(*closed) << describe(closed->error());
}

// -- execution styles ---------------------------------------------------------

TEST_F(ConnectionActor, ThenDeliversValuesAndErrorsInTheActorsContext) {
  auto r = make_stream_reader(sys());
  auto buddy = caf::actor_cast<caf::actor>(self);
  // Handlers touch the actor's own state; a handler running on another
  // thread would race with the ping handler (ThreadSanitizer would see it).
  struct probe_state {
    int handled = 0;
  };
  // r and buddy go in as spawn arguments: CAF 0.17 dereferences a null
  // argument tuple for a function spawned without any (UBSan reports it).
  auto probe = sys().spawn<caf::hidden>(
    [](caf::stateful_actor<probe_state>* self, stream_reader r,
       caf::actor buddy) -> caf::behavior {
      auto report = [self, buddy](std::string tag, std::string payload) {
        ++self->state.handled;
        self->send(buddy, std::move(tag), std::move(payload),
                   self->state.handled);
      };
      r.readline().then(
        self, [report](bytes line) { report("value", std::move(line)); },
        [report](caf::error err) { report("error", describe(err)); });
      r.readexactly(-1).then(
        self, [report](bytes x) { report("value", std::move(x)); },
        [report](caf::error err) { report("error", describe(err)); });
      r.readexactly(4).then(
        self, [report](bytes x) { report("value", std::move(x)); },
        [report](caf::error err) { report("error", describe(err)); });
      return {
        [self](caf::get_atom) { return self->state.handled; },
      };
    },
    r, buddy);
  // Killed when the test ends, even if it fails early.
  struct killer {
    caf::actor hdl;
    ~killer() { caf::anon_send_exit(hdl, caf::exit_reason::user_shutdown); }
  } kill_probe{probe};
  auto expect_report = [&](const char* tag, const std::string& payload,
                           int count) {
    bool got = false;
    self->receive(
      [&](std::string& t, std::string& p, int n) {
        got = true;
        EXPECT_EQ(t, tag);
        EXPECT_EQ(p, payload);
        EXPECT_EQ(n, count);
        EXPECT_EQ(self->current_sender(),
                  caf::actor_cast<caf::strong_actor_ptr>(probe));
      },
      caf::after(bound) >> [&] { ADD_FAILURE() << "no report: " << tag; });
    return got;
  };
  // The readline waits, and FIFO holds the two requests behind it (even the
  // invalid readexactly(-1)); the probe itself stays responsive meanwhile.
  std::optional<int> handled;
  self->request(probe, bound, caf::get_atom_v)
    .receive([&](int n) { handled = n; },
             [&](caf::error& e) { ADD_FAILURE() << describe(e); });
  EXPECT_EQ(handled, std::optional<int>{0});
  r.feed_data("line\nab");
  r.feed_eof();
  ASSERT_TRUE(expect_report("value", "line\n", 1));
  ASSERT_TRUE(expect_report(
    "error", "invalid_argument: readexactly size can not be less than zero",
    2));
  ASSERT_TRUE(expect_report(
    "error", "incomplete_read: 2 bytes read on a total of 4 expected bytes",
    3));
}

TEST_F(ConnectionActor, ConcurrentReadexactlyCallersGetEveryByteExactlyOnce) {
  constexpr int readers = 4;
  constexpr int reads_each = 50;
  constexpr int records = readers * reads_each;
  constexpr int64_t record_size = 8;
  auto r = make_stream_reader(sys());
  // Record i is "R" followed by i in seven digits: every record is unique
  // and sorts by i.
  bytes stream;
  for (int i = 0; i < records; ++i) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "R%07d", i);
    stream += buf;
  }
  std::vector<std::vector<bytes>> got(readers);
  std::vector<std::thread> threads;
  for (int t = 0; t < readers; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < reads_each; ++i) {
        auto x = r.readexactly(record_size).get(bound);
        if (!x) {
          ADD_FAILURE() << "reader " << t << ": " << describe(x.error());
          return;
        }
        got[t].push_back(std::move(*x));
      }
    });
  std::thread feeder{[&] {
    std::minstd_rand rng{42};
    std::size_t pos = 0;
    while (pos < stream.size()) {
      auto n = std::min<std::size_t>(1 + rng() % 13, stream.size() - pos);
      r.feed_data(stream.substr(pos, n));
      pos += n;
      if (rng() % 8 == 0)
        std::this_thread::yield();
    }
  }};
  feeder.join();
  for (auto& th : threads)
    th.join();
  std::vector<bytes> all;
  for (int t = 0; t < readers; ++t) {
    ASSERT_EQ(got[t].size(), static_cast<std::size_t>(reads_each));
    // One caller's requests are sequential, so FIFO gives it rising records.
    EXPECT_TRUE(std::is_sorted(got[t].begin(), got[t].end())) << "reader " << t;
    all.insert(all.end(), got[t].begin(), got[t].end());
  }
  std::sort(all.begin(), all.end());
  bytes joined;
  for (auto& x : all)
    joined += x;
  EXPECT_EQ(joined, stream);
  EXPECT_EQ(rest_of(r), "");
}

} // namespace
} // namespace actorstreams
