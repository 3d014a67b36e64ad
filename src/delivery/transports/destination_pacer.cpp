#include "delivery/transports/destination_pacer.hpp"

#include <algorithm>

namespace herald::delivery {

namespace {

// A slot not claimed this long after its time belongs to a message that was deleted, held or
// delivered by another route; it is dropped.
constexpr auto kStale = std::chrono::minutes(10);
constexpr std::size_t kSweepAbove = 10000;

}  // namespace

DestinationPacer::DestinationPacer(std::size_t per_minute) {
    if (per_minute > 0) {
        interval_ = std::chrono::duration_cast<Clock::duration>(std::chrono::minutes(1)) /
                    static_cast<Clock::rep>(per_minute);
    }
}

DestinationPacer::Clock::time_point DestinationPacer::slot(const std::string& destination,
                                                           const std::string& id,
                                                           Clock::time_point now) {
    if (interval_ == Clock::duration::zero()) return now;
    const auto key = std::make_pair(destination, id);
    if (auto given = given_.find(key); given != given_.end()) {
        const auto at = given->second;
        if (at > now) return at;
        given_.erase(given);
        return now;
    }
    auto& next = next_free_[destination];
    const auto at = std::max(next, now);
    next = at + interval_;
    if (at <= now) return now;
    if (given_.size() >= kSweepAbove) forget_stale(now);
    given_[key] = at;
    return at;
}

void DestinationPacer::forget_stale(Clock::time_point now) {
    std::erase_if(given_, [now](const auto& entry) { return entry.second + kStale < now; });
}

}  // namespace herald::delivery
