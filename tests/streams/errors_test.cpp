#include "streams/errors.hpp"

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include "test_support.hpp"

namespace actorstreams {
namespace {

TEST(Errors, StreamErrcConvertsImplicitlyToCafError) {
  caf::error err = stream_errc::closed;
  EXPECT_EQ(err.category(), stream_category);
  EXPECT_EQ(err.code(), static_cast<uint8_t>(stream_errc::closed));
  EXPECT_TRUE(err == stream_errc::closed);
  EXPECT_FALSE(err == stream_errc::connection_reset);
}

TEST(Errors, IncompleteReadCarriesItsPayload) {
  auto err = make_error(incomplete_read_error{"abc", 10});
  auto payload = as_incomplete_read(err);
  ASSERT_TRUE(payload);
  EXPECT_EQ(payload->partial, "abc");
  EXPECT_EQ(payload->expected, std::optional<std::size_t>{10});
  EXPECT_FALSE(as_limit_overrun(err));
  EXPECT_EQ(describe(err),
            "incomplete_read: 3 bytes read on a total of 10 expected bytes");
}

TEST(Errors, IncompleteReadWithoutExpectedSaysUndefined) {
  incomplete_read_error x{"some dataAA", std::nullopt};
  EXPECT_EQ(x.message(), "11 bytes read on a total of undefined expected bytes");
}

TEST(Errors, LimitOverrunCarriesItsPayload) {
  auto err = make_error(limit_overrun_error{"msg", 9});
  auto payload = as_limit_overrun(err);
  ASSERT_TRUE(payload);
  EXPECT_EQ(payload->message, "msg");
  EXPECT_EQ(payload->consumed, 9u);
  EXPECT_FALSE(as_incomplete_read(err));
}

TEST(Errors, MessageErrorsRenderReadably) {
  auto err = make_error(stream_errc::connection_reset, "Connection reset by peer");
  EXPECT_EQ(describe(err), "connection_reset: Connection reset by peer");
  EXPECT_EQ(as_stream_errc(err), stream_errc::connection_reset);
  EXPECT_FALSE(as_stream_errc(caf::error{}));
}

template <class T>
T roundtrip(caf::actor_system& sys, T x) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  EXPECT_FALSE(sink(x));
  T y;
  caf::binary_deserializer source{sys, buf};
  EXPECT_FALSE(source(y));
  return y;
}

TEST(Errors, PayloadsSurviveSerialization) {
  runtime rt;
  incomplete_read_error ire{bytes{"a\0b", 3}, 36};
  EXPECT_EQ(roundtrip(rt.system(), ire), ire);
  incomplete_read_error none{"xy", std::nullopt};
  EXPECT_EQ(roundtrip(rt.system(), none), none);
  limit_overrun_error loe{"Separator is not found, and chunk exceed the limit",
                          70000};
  EXPECT_EQ(roundtrip(rt.system(), loe), loe);
  // The whole error, payload included, as it crosses to another node.
  auto err = roundtrip(rt.system(), make_error(ire));
  auto back = as_incomplete_read(err);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, ire);
}

TEST(Errors, SystemRendersTheStreamsCategory) {
  runtime rt;
  auto err = make_error(limit_overrun_error{"too long", 5});
  EXPECT_EQ(rt.system().render(err), "limit_overrun: too long (consumed 5)");
}

} // namespace
} // namespace actorstreams
