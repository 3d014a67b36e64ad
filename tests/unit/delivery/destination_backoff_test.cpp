#include "delivery/transports/destination_backoff.hpp"

#include <gtest/gtest.h>

namespace herald::delivery {
namespace {

using std::chrono::seconds;
const DestinationBackoff::Clock::time_point t0{};

TEST(DestinationBackoff, HoldsAnUnreachableDestinationForItsWindowOnly) {
    DestinationBackoff backoff(seconds(60), seconds(900));
    EXPECT_EQ(backoff.unreachable("mx.example", "connect: refused", t0), seconds(60));
    auto why = backoff.holding("mx.example", t0 + seconds(15));
    ASSERT_TRUE(why.has_value());
    EXPECT_EQ(*why,
              "4.4.1 mx.example was unreachable at the last attempt (connect: refused); not tried "
              "again for 45 s");
    EXPECT_FALSE(backoff.holding("other.example", t0 + seconds(15)));
    EXPECT_FALSE(backoff.holding("mx.example", t0 + seconds(60)));
}

TEST(DestinationBackoff, DoublesTheWindowUpToTheLongest) {
    DestinationBackoff backoff(seconds(60), seconds(200));
    EXPECT_EQ(backoff.unreachable("d", "x", t0), seconds(60));
    EXPECT_EQ(backoff.unreachable("d", "x", t0), seconds(120));
    EXPECT_EQ(backoff.unreachable("d", "x", t0), seconds(200));
    EXPECT_EQ(backoff.unreachable("d", "x", t0), seconds(200));
}

TEST(DestinationBackoff, StartsOverOnceTheDestinationAnswers) {
    DestinationBackoff backoff(seconds(60), seconds(900));
    backoff.unreachable("d", "x", t0);
    backoff.unreachable("d", "x", t0);
    backoff.reachable("d");
    EXPECT_FALSE(backoff.holding("d", t0));
    EXPECT_EQ(backoff.unreachable("d", "x", t0), seconds(60));
}

TEST(DestinationBackoff, ForgetsEverythingWhenCleared) {
    DestinationBackoff backoff;
    backoff.unreachable("a", "x", t0);
    backoff.unreachable("b", "x", t0);
    backoff.clear();
    EXPECT_FALSE(backoff.holding("a", t0));
    EXPECT_FALSE(backoff.holding("b", t0));
}

}  // namespace
}  // namespace herald::delivery
