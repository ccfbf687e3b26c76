#include "actors/connection_actor.hpp"

#include "test_support.hpp"

namespace actorstreams {
namespace {
using testing::runtime_test;
class ConnectionActor : public runtime_test {};

TEST_F(ConnectionActor, ServesALineFedInMemory) {
  auto r = make_stream_reader(sys());
  r.feed_data("line1\nline2");
  EXPECT_EQ(testing::value_of(r.readline().get()), "line1\n");
}

} // namespace
} // namespace actorstreams
