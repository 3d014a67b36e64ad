#include "delivery/transports/destination_pacer.hpp"

#include <gtest/gtest.h>

namespace herald::delivery {
namespace {

using namespace std::chrono_literals;
using Clock = DestinationPacer::Clock;

const Clock::time_point kStart{1000s};

TEST(DestinationPacer, WithoutAPaceEverythingGoesNow) {
    DestinationPacer pacer(0);
    for (int i = 0; i < 100; ++i) {
        EXPECT_EQ(pacer.slot("example.net", std::to_string(i), kStart), kStart);
    }
}

TEST(DestinationPacer, SpacesMessagesOneIntervalApartAndKeepsTheirSlots) {
    DestinationPacer pacer(60);  // one a second
    EXPECT_EQ(pacer.slot("example.net", "a", kStart), kStart);
    EXPECT_EQ(pacer.slot("example.net", "b", kStart), kStart + 1s);
    EXPECT_EQ(pacer.slot("example.net", "c", kStart), kStart + 2s);
    // Asking again before its time changes nothing; at its time it goes.
    EXPECT_EQ(pacer.slot("example.net", "c", kStart + 500ms), kStart + 2s);
    EXPECT_EQ(pacer.slot("example.net", "b", kStart + 1s), kStart + 1s);
    EXPECT_EQ(pacer.slot("example.net", "c", kStart + 3s), kStart + 3s);  // late is fine
    // A new message queues behind the given slots.
    EXPECT_EQ(pacer.slot("example.net", "d", kStart + 1s), kStart + 3s);
}

TEST(DestinationPacer, PacesEachDestinationOnItsOwn) {
    DestinationPacer pacer(6);  // one every ten seconds
    EXPECT_EQ(pacer.slot("a.example", "1", kStart), kStart);
    EXPECT_EQ(pacer.slot("b.example", "2", kStart), kStart);
    EXPECT_EQ(pacer.slot("a.example", "3", kStart), kStart + 10s);
    // Idle long enough, a destination starts afresh.
    EXPECT_EQ(pacer.slot("b.example", "4", kStart + 60s), kStart + 60s);
}

}  // namespace
}  // namespace herald::delivery
