// The test kit's GoogleTest matchers and printers (streams/testing_gtest.hpp):
// they match what they claim, and their failures read well.
#include "streams/testing_gtest.hpp"

#include <gtest/gtest-spi.h>

#include "streams/testing.hpp"
#include "test_support.hpp"

namespace actorstreams::testing {
namespace {

using ::testing::Not;

caf::error incomplete(bytes partial, std::optional<std::size_t> expected) {
  return make_error(incomplete_read_error{std::move(partial), expected});
}

TEST(Matchers, IsIncompleteReadMatchesPartialAndExpected) {
  EXPECT_THAT(incomplete("abc", 5), IsIncompleteRead("abc", 5));
  EXPECT_THAT(incomplete("abc", 5), Not(IsIncompleteRead("abc", 6)));
  EXPECT_THAT(incomplete("abc", 5), Not(IsIncompleteRead("ab", 5)));
  EXPECT_THAT(incomplete("xy", std::nullopt),
              IsIncompleteRead("xy", std::nullopt));
  EXPECT_THAT(make_error(stream_errc::closed), Not(IsIncompleteRead("", 0)));
}

TEST(Matchers, WorkOnTheResultsOfAwaits) {
  deterministic_runtime rt;
  auto [a, b] = make_memory_pair(rt.system(), memory_pair_options{0, 4, {}});
  a.writer.write("abc");
  a.writer.write_eof();
  EXPECT_THAT(rt.await(b.reader.readexactly(5)), IsIncompleteRead("abc", 5));
  auto [c, d] = make_memory_pair(rt.system(), memory_pair_options{0, 4, {}});
  c.writer.write("toolong\n");
  EXPECT_THAT(rt.await(d.reader.readline()), IsLimitOverrun(7u)); // as asyncio: up to the separator
  c.writer.close();
  EXPECT_THAT(rt.await(c.writer.drain()), HasStreamErrc(stream_errc::closed));
  EXPECT_THAT(rt.await(d.reader.read(100)),
              Not(HasStreamErrc(stream_errc::closed)));
}

TEST(Matchers, IsIncompleteReadFailureShowsWhatItGot) {
  EXPECT_NONFATAL_FAILURE(
    EXPECT_THAT(incomplete("abc", 5), IsIncompleteRead("abd", 5)),
    "whose partial is \"abc\" and expected 5");
  EXPECT_NONFATAL_FAILURE(
    EXPECT_THAT(incomplete("abc", 5), IsIncompleteRead("abd", 5)),
    "is an incomplete_read error with partial \"abd\" and expected 5");
  EXPECT_NONFATAL_FAILURE(
    EXPECT_THAT(make_error(stream_errc::timeout, "the request timed out"),
                IsIncompleteRead("", 1)),
    "which is timeout: the request timed out");
}

TEST(Matchers, IsLimitOverrunFailureShowsTheConsumedCount) {
  auto err = make_error(limit_overrun_error{"Separator is not found, and "
                                            "chunk exceed the limit",
                                            7});
  EXPECT_THAT(err, IsLimitOverrun(7));
  EXPECT_NONFATAL_FAILURE(EXPECT_THAT(err, IsLimitOverrun(8)),
                          "whose consumed is 7");
  EXPECT_NONFATAL_FAILURE(EXPECT_THAT(err, IsLimitOverrun(8)),
                          "is a limit_overrun error with consumed 8");
}

TEST(Matchers, HasStreamErrcFailureNamesBothCodes) {
  EXPECT_THAT(make_error(stream_errc::connection_reset),
              HasStreamErrc(stream_errc::connection_reset));
  EXPECT_NONFATAL_FAILURE(
    EXPECT_THAT(make_error(stream_errc::connection_reset, "gone"),
                HasStreamErrc(stream_errc::timeout)),
    "Expected: is a timeout error\n  Actual: connection_reset: gone (of type "
    "caf::error), which is connection_reset: gone");
}

TEST(Matchers, AValueIsNotAnError) {
  caf::expected<bytes> value{bytes{"fine"}};
  EXPECT_THAT(value, Not(HasStreamErrc(stream_errc::closed)));
  EXPECT_NONFATAL_FAILURE(
    EXPECT_THAT(value, HasStreamErrc(stream_errc::closed)),
    "Actual: value \"fine\", which holds a value, not an error");
}

TEST(Printers, ShowErrorsAndResultsReadably) {
  EXPECT_EQ(::testing::PrintToString(make_error(stream_errc::closed, "gone")),
            "closed: gone");
  EXPECT_EQ(::testing::PrintToString(caf::error{}), "no error");
  EXPECT_EQ(::testing::PrintToString(caf::expected<bytes>{bytes{"a\n"}}),
            "value \"a\\n\"");
  EXPECT_EQ(::testing::PrintToString(caf::expected<void>{}), "value (void)");
  EXPECT_EQ(::testing::PrintToString(stream_errc::limit_overrun),
            "limit_overrun");
  EXPECT_EQ(::testing::PrintToString(incomplete_read_error{"ab", 3}),
            "incomplete_read_error{partial \"ab\", expected 3}");
}

} // namespace
} // namespace actorstreams::testing
