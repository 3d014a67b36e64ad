// The console's per-minute history: a fixed ring that rolls over minute by minute, shows
// quiet minutes as zeros and never counts an event in the wrong minute.
#include "admin/minute_history.hpp"

#include <gtest/gtest.h>

namespace herald::admin {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

// A minute boundary well after the epoch.
const MinuteHistory::Clock::time_point kNow{std::chrono::hours(24 * 20000)};

std::uint64_t at(const MinuteHistory::Snapshot& s, std::size_t minutes_ago, Flow flow) {
    return s.minutes.at(s.minutes.size() - 1 - minutes_ago)[static_cast<std::size_t>(flow)];
}

TEST(MinuteHistory, CountsEachFlowInItsMinute) {
    MinuteHistory h;
    h.count(Flow::received, kNow);
    h.count(Flow::received, kNow + seconds(59));
    h.count(Flow::delivered, kNow + seconds(30));
    h.count(Flow::deferred, kNow - seconds(1));
    auto s = h.snapshot(kNow + seconds(59));
    EXPECT_EQ(at(s, 0, Flow::received), 2u);
    EXPECT_EQ(at(s, 0, Flow::delivered), 1u);
    EXPECT_EQ(at(s, 0, Flow::bounced), 0u);
    EXPECT_EQ(at(s, 1, Flow::deferred), 1u);
}

TEST(MinuteHistory, AlwaysGivesTheLastSixHoursOldestFirst) {
    MinuteHistory h;
    auto s = h.snapshot(kNow + seconds(10));
    ASSERT_EQ(s.minutes.size(), MinuteHistory::kMinutes);
    EXPECT_EQ(s.start, kNow - minutes(MinuteHistory::kMinutes - 1));
    for (const auto& counts : s.minutes) EXPECT_EQ(counts, MinuteHistory::Counts{});
}

TEST(MinuteHistory, QuietMinutesAreZerosBetweenBusyOnes) {
    MinuteHistory h;
    h.count(Flow::bounced, kNow - minutes(10));
    h.count(Flow::bounced, kNow);
    auto s = h.snapshot(kNow);
    EXPECT_EQ(at(s, 10, Flow::bounced), 1u);
    for (std::size_t ago = 1; ago < 10; ++ago) EXPECT_EQ(at(s, ago, Flow::bounced), 0u) << ago;
    EXPECT_EQ(at(s, 0, Flow::bounced), 1u);
}

TEST(MinuteHistory, ABucketReusedAfterTheRingComesRoundStartsFromZero) {
    MinuteHistory h;
    h.count(Flow::received, kNow);
    h.count(Flow::received, kNow);
    // The same slot of the ring, one lap later.
    const auto lap = kNow + minutes(MinuteHistory::kMinutes);
    h.count(Flow::received, lap);
    auto s = h.snapshot(lap);
    EXPECT_EQ(at(s, 0, Flow::received), 1u);
    // The old minute has left the window: it is not shown at all.
    EXPECT_EQ(s.start, kNow + minutes(1));
}

TEST(MinuteHistory, MinutesOlderThanTheWindowAreNotShownAfterAGap) {
    MinuteHistory h;
    h.count(Flow::delivered, kNow);
    // Quiet for more than the window: the old count must not reappear in its slot.
    auto s = h.snapshot(kNow + minutes(MinuteHistory::kMinutes + 5));
    for (const auto& counts : s.minutes) EXPECT_EQ(counts, MinuteHistory::Counts{});
}

TEST(MinuteHistory, AnEventFromBeforeTheBucketsMinuteIsDropped) {
    MinuteHistory h;
    const auto lap = kNow + minutes(MinuteHistory::kMinutes);
    h.count(Flow::deferred, lap);
    // The clock stepped back a lap: counting it would add to the newer minute.
    h.count(Flow::deferred, kNow);
    EXPECT_EQ(at(h.snapshot(lap), 0, Flow::deferred), 1u);
}

TEST(MinuteHistory, EventsAfterTheSnapshotTimeAreNotShown) {
    MinuteHistory h;
    h.count(Flow::received, kNow + minutes(1));
    auto s = h.snapshot(kNow);
    for (const auto& counts : s.minutes) EXPECT_EQ(counts, MinuteHistory::Counts{});
}

}  // namespace
}  // namespace herald::admin
