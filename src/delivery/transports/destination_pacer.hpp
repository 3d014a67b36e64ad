#pragma once
// Outbound pacing: at most N messages a minute to one destination (a recipient domain or a
// smarthost), the `max_messages_per_minute` of a transport, so that Herald never floods a
// receiver into throttling it. Messages go out one interval apart (60 s / N), each
// destination on slots of its own (delivery/shaping/rate_slots.hpp): a message over the pace
// waits in the queue for its slot and is then let through, so a backlog drains at exactly the
// pace, in arrival order, without being retried in between. Sans I/O: the caller passes the
// time.
#include <chrono>
#include <cstddef>
#include <map>
#include <string>

#include "delivery/shaping/rate_slots.hpp"

namespace herald::delivery {

class DestinationPacer {
  public:
    using Clock = RateSlots::Clock;

    // 0: no pace.
    explicit DestinationPacer(std::size_t per_minute);

    // When message `id` may go to `destination`: `now` (it goes now and takes the slot), or
    // the later time of the slot it was given.
    Clock::time_point slot(const std::string& destination, const std::string& id,
                           Clock::time_point now);

  private:
    Clock::duration interval_{};
    std::map<std::string, RateSlots, std::less<>> destinations_;
};

}  // namespace herald::delivery
