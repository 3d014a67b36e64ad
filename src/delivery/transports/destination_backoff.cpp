#include "delivery/transports/destination_backoff.hpp"

#include <algorithm>

namespace herald::delivery {

std::optional<std::string> DestinationBackoff::holding(const std::string& destination,
                                                       Clock::time_point now) const {
    auto it = held_.find(destination);
    if (it == held_.end() || now >= it->second.until) return std::nullopt;
    const auto left = std::chrono::ceil<std::chrono::seconds>(it->second.until - now);
    return "4.4.1 " + destination + " was unreachable at the last attempt (" + it->second.reason +
           "); not tried again for " + std::to_string(left.count()) + " s";
}

std::chrono::seconds DestinationBackoff::unreachable(const std::string& destination,
                                                     std::string reason, Clock::time_point now) {
    Held& held = held_[destination];
    held.window = held.window.count() == 0 ? first_ : std::min(held.window * 2, longest_);
    held.until = now + held.window;
    held.reason = std::move(reason);
    return held.window;
}

}  // namespace herald::delivery
