#include "admin/minute_history.hpp"

namespace herald::admin {

namespace {

std::int64_t minute_of(MinuteHistory::Clock::time_point when) {
    return std::chrono::floor<std::chrono::minutes>(when.time_since_epoch()).count();
}

std::size_t slot_of(std::int64_t minute) {
    return static_cast<std::size_t>(minute % static_cast<std::int64_t>(MinuteHistory::kMinutes));
}

}  // namespace

void MinuteHistory::count(Flow flow, Clock::time_point when) {
    const std::int64_t minute = minute_of(when);
    if (minute < 0) return;
    Bucket& bucket = ring_[slot_of(minute)];
    if (bucket.minute > minute) return;
    if (bucket.minute < minute) bucket = Bucket{.minute = minute};
    ++bucket.counts[static_cast<std::size_t>(flow)];
}

MinuteHistory::Snapshot MinuteHistory::snapshot(Clock::time_point now) const {
    const std::int64_t last = minute_of(now);
    const std::int64_t first = last - static_cast<std::int64_t>(kMinutes) + 1;
    Snapshot out{.start = Clock::time_point(std::chrono::minutes(first)), .minutes = {}};
    out.minutes.reserve(kMinutes);
    for (std::int64_t minute = first; minute <= last; ++minute) {
        const Bucket* bucket = minute < 0 ? nullptr : &ring_[slot_of(minute)];
        out.minutes.push_back(bucket && bucket->minute == minute ? bucket->counts : Counts{});
    }
    return out;
}

}  // namespace herald::admin
