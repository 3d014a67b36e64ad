#include "delivery/shaping/rate_slots.hpp"

#include <algorithm>

namespace herald::delivery {

namespace {

// Slots are given this far ahead, and at least this many: a message further back comes back
// when half the horizon has passed.
constexpr auto kMinHorizon = std::chrono::seconds(60);
constexpr int kHorizonSlots = 50;
// A slot not claimed this long after its time belongs to a message that was deleted, held or
// delivered by another route.
constexpr auto kStale = std::chrono::minutes(10);
constexpr std::size_t kSweepAbove = 10000;

}  // namespace

RateSlots::Clock::time_point RateSlots::slot(std::string_view id, Clock::time_point now,
                                             Clock::duration interval) {
    if (auto given = given_.find(id); given != given_.end()) {
        const auto at = given->second;
        if (at > now) return at;
        given_.erase(given);
        return now;
    }
    const auto at = std::max(next_free_, now);
    const auto horizon = std::max<Clock::duration>(kMinHorizon, kHorizonSlots * interval);
    if (at > now + horizon) return now + horizon / 2;
    next_free_ = at + interval;
    if (at <= now) return now;
    if (given_.size() >= kSweepAbove) forget_stale(now);
    given_.emplace(std::string(id), at);
    return at;
}

void RateSlots::clear() {
    given_.clear();
    next_free_ = {};
}

void RateSlots::forget_stale(Clock::time_point now) {
    std::erase_if(given_, [now](const auto& entry) { return entry.second + kStale < now; });
}

}  // namespace herald::delivery
