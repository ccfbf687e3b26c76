// GoogleTest main for every test binary. InitGoogleTest runs first so that
// it strips its flags: CAF's config parser would reject them.
#include <gtest/gtest.h>

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
