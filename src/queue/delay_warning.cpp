#include "queue/delay_warning.hpp"

#include "queue/bouncer.hpp"

namespace herald::queue {

std::optional<DelayWarningRule::Clock::time_point> DelayWarningRule::due_at(
    const message::Envelope& original) const {
    if (after.count() <= 0 || after >= max_age || Bouncer::refusal(original)) return std::nullopt;
    return original.arrival + after;
}

bool DelayWarningRule::warn_now(const message::Envelope& original, Clock::time_point now,
                                bool already_warned, bool still_deferred) const {
    if (already_warned || !still_deferred) return false;
    const auto due = due_at(original);
    return due && *due <= now && now < gives_up_at(original);
}

}  // namespace herald::queue
