#include "state/redis_script.hpp"

#include <gtest/gtest.h>

namespace herald::state {
namespace {

// What Redis' SCRIPT LOAD answers for the same text: EVALSHA finds the script by it.
TEST(RedisScript, IsNamedByTheSha1OfItsText) {
    EXPECT_EQ(RedisScript("return 1").sha1, "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
    EXPECT_EQ(RedisScript("").sha1, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

}  // namespace
}  // namespace herald::state
