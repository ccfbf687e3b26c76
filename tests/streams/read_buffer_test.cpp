#include "streams/read_buffer.hpp"

#include <gtest/gtest.h>

TEST(ReadBuffer, Placeholder) {
  actorstreams::read_buffer buf;
  EXPECT_TRUE(buf.empty());
}
