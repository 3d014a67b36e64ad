#include "queue/retry_schedule.hpp"

#include <algorithm>

namespace herald::queue {

std::chrono::seconds RetrySchedule::delay_after(std::size_t attempts) const {
    if (steps_.empty()) return std::chrono::seconds(300);
    std::size_t index = std::min(attempts == 0 ? 0 : attempts - 1, steps_.size() - 1);
    return steps_[index];
}

std::chrono::seconds RetrySchedule::jittered_delay_after(std::size_t attempts,
                                                         std::mt19937& rng) const {
    auto base = delay_after(attempts).count();
    auto spread = std::max<long long>(base / 10, 0);
    std::uniform_int_distribution<long long> jitter(-spread, spread);
    return std::chrono::seconds(std::max<long long>(1, base + jitter(rng)));
}

}  // namespace herald::queue
