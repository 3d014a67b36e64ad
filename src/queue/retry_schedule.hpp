#pragma once
// When to try a deferred message again: queue.retry's steps, the last one repeating, with
// jitter so that messages deferred together do not all come back at the same instant.
#include <chrono>
#include <cstddef>
#include <random>
#include <vector>

namespace herald::queue {

class RetrySchedule {
  public:
    RetrySchedule(std::vector<std::chrono::seconds> steps, std::chrono::seconds max_age)
        : steps_(std::move(steps)), max_age_(max_age) {}

    // The wait after the n-th failed attempt (n >= 1), before jitter.
    std::chrono::seconds delay_after(std::size_t attempts) const;
    // delay_after() spread by up to +-10%.
    std::chrono::seconds jittered_delay_after(std::size_t attempts, std::mt19937& rng) const;
    bool expired(std::chrono::system_clock::time_point arrival,
                 std::chrono::system_clock::time_point now) const {
        return now - arrival >= max_age_;
    }

  private:
    std::vector<std::chrono::seconds> steps_;
    std::chrono::seconds max_age_;
};

}  // namespace herald::queue
