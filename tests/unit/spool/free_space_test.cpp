#include "spool/free_space.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace herald::spool {
namespace {

TEST(FreeSpace, NeedsHalfTheSizeAgainPlusTheReserve) {
    EXPECT_TRUE(has_room_for(1'500'000 + 1000, 1'000'000, 1000));
    EXPECT_FALSE(has_room_for(1'500'000 + 999, 1'000'000, 1000));
    EXPECT_TRUE(has_room_for(1000, 0, 1000));
}

TEST(FreeSpace, AHugeDeclaredSizeNeverWrapsAroundIntoRoom) {
    constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
    EXPECT_FALSE(has_room_for(kMax, kMax, 0));
    EXPECT_FALSE(has_room_for(kMax, kMax / 2 + 1, 10));
}

TEST(FreeSpace, TellsTheFreeBytesOfAnExistingDirectoryOnly) {
    EXPECT_TRUE(free_bytes("."));
    EXPECT_FALSE(free_bytes("/nonexistent/herald/spool"));
}

}  // namespace
}  // namespace herald::spool
