#include "queue/retry_schedule.hpp"

#include <gtest/gtest.h>

namespace herald::queue {
namespace {

using std::chrono::seconds;

TEST(RetrySchedule, FollowsTheStepsAndRepeatsTheLast) {
    RetrySchedule r({seconds(300), seconds(600), seconds(1800)}, seconds(86400));
    EXPECT_EQ(r.delay_after(1), seconds(300));
    EXPECT_EQ(r.delay_after(2), seconds(600));
    EXPECT_EQ(r.delay_after(3), seconds(1800));
    EXPECT_EQ(r.delay_after(40), seconds(1800));
}

TEST(RetrySchedule, JittersWithinTenPercent) {
    RetrySchedule r({seconds(1000)}, seconds(86400));
    std::mt19937 rng(7);
    bool varied = false;
    for (int i = 0; i < 200; ++i) {
        auto d = r.jittered_delay_after(1, rng);
        EXPECT_GE(d, seconds(900));
        EXPECT_LE(d, seconds(1100));
        varied |= d != seconds(1000);
    }
    EXPECT_TRUE(varied);
}

TEST(RetrySchedule, ExpiresAfterMaxAge) {
    RetrySchedule r({seconds(60)}, seconds(3600));
    auto arrival = std::chrono::system_clock::now();
    EXPECT_FALSE(r.expired(arrival, arrival + seconds(3599)));
    EXPECT_TRUE(r.expired(arrival, arrival + seconds(3600)));
}

}  // namespace
}  // namespace herald::queue
