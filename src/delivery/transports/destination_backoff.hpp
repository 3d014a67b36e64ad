#pragma once
// Destinations that could not be reached at all, and until when their mail waits without a
// new attempt. One dead MX then costs one connect timeout per backoff period instead of one
// per message, and the delivery slots stay free for destinations that work. The window
// doubles while the destination stays unreachable and ends at the first connection that works
// or when the administrator flushes the queue.
#include <chrono>
#include <optional>
#include <string>
#include <unordered_map>

namespace herald::delivery {

class DestinationBackoff {
  public:
    using Clock = std::chrono::steady_clock;

    DestinationBackoff(std::chrono::seconds first = std::chrono::seconds(60),
                       std::chrono::seconds longest = std::chrono::seconds(900))
        : first_(first), longest_(longest) {}

    // Why mail to `destination` must wait, while it must.
    std::optional<std::string> holding(const std::string& destination, Clock::time_point now) const;
    // Returns how long the destination's mail now waits.
    std::chrono::seconds unreachable(const std::string& destination, std::string reason,
                                     Clock::time_point now);
    void reachable(const std::string& destination) { held_.erase(destination); }
    void clear() { held_.clear(); }

  private:
    struct Held {
        Clock::time_point until;
        std::chrono::seconds window{0};
        std::string reason;
    };

    std::chrono::seconds first_;
    std::chrono::seconds longest_;
    std::unordered_map<std::string, Held> held_;
};

}  // namespace herald::delivery
