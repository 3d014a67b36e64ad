#pragma once
// A rate as slots in time, one message per interval, for one (source address, provider). A
// message over the rate is given the next free slot and keeps it, so that a backlog drains at
// the rate in arrival order. Slots are given only up to a horizon ahead: the rate changes as
// the provider's replies teach, and a message that holds a slot far off would not get the
// faster rate nor let a slower one take effect. Beyond the horizon a message is told to come
// back later, without a slot. Sans I/O: the caller passes the time.
#include <chrono>
#include <map>
#include <string>
#include <string_view>

namespace herald::delivery {

class RateSlots {
  public:
    using Clock = std::chrono::system_clock;

    // When message `id` may go at one message per `interval`: `now` (it goes, and takes the
    // slot) or later.
    Clock::time_point slot(std::string_view id, Clock::time_point now, Clock::duration interval);
    // Forgets every slot given (the rate changed).
    void clear();

  private:
    void forget_stale(Clock::time_point now);

    Clock::time_point next_free_{};
    std::map<std::string, Clock::time_point, std::less<>> given_;  // by message id
};

}  // namespace herald::delivery
