#include "delivery/shaping/rate_slots.hpp"

#include <gtest/gtest.h>

namespace herald::delivery {
namespace {

using namespace std::chrono_literals;
using Clock = RateSlots::Clock;

const Clock::time_point kStart{1000s};

TEST(RateSlots, GivesSlotsOneIntervalApartAtTheIntervalAskedFor) {
    RateSlots slots;
    EXPECT_EQ(slots.slot("a", kStart, 1s), kStart);
    EXPECT_EQ(slots.slot("b", kStart, 1s), kStart + 1s);
    EXPECT_EQ(slots.slot("b", kStart + 500ms, 1s), kStart + 1s);  // kept
    EXPECT_EQ(slots.slot("b", kStart + 1s, 1s), kStart + 1s);     // and used
    // A slower rate from now on spaces the next further.
    EXPECT_EQ(slots.slot("c", kStart + 1s, 10s), kStart + 2s);
    EXPECT_EQ(slots.slot("d", kStart + 1s, 10s), kStart + 12s);
}

TEST(RateSlots, GivesNoSlotBeyondTheHorizon) {
    RateSlots slots;
    // One a second: 60 s of slots at most; the 62nd message comes back later, without one.
    for (int i = 0; i <= 60; ++i) {
        EXPECT_EQ(slots.slot(std::to_string(i), kStart, 1s), kStart + std::chrono::seconds(i));
    }
    EXPECT_EQ(slots.slot("late", kStart, 1s), kStart + 30s);
    // Asked again then, it gets the next free slot, which has come within reach.
    EXPECT_EQ(slots.slot("late", kStart + 30s, 1s), kStart + 61s);
}

TEST(RateSlots, ClearForgetsEverySlot) {
    RateSlots slots;
    slots.slot("a", kStart, 10s);
    EXPECT_EQ(slots.slot("b", kStart, 10s), kStart + 10s);
    slots.clear();
    EXPECT_EQ(slots.slot("c", kStart + 1s, 10s), kStart + 1s);
    EXPECT_EQ(slots.slot("b", kStart + 1s, 10s), kStart + 11s);
}

}  // namespace
}  // namespace herald::delivery
