#pragma once
// When the sender of a message still queued is told it is late: Postfix's delay_warning_time,
// as an RFC 3464 "delayed" DSN (Bouncer::warn). Once per message, `after` its arrival, while
// some recipient is still deferred, and only to a sender any report may go to
// (Bouncer::refusal). A warning that would fall due at or after [queue] max_age is never
// sent: the message expires first, and its bounce says everything.
#include <chrono>
#include <optional>

#include "message/envelope.hpp"

namespace herald::queue {

struct DelayWarningRule {
    using Clock = std::chrono::system_clock;

    std::chrono::seconds after{0};    // [queue] delay_warning; 0: no warnings
    std::chrono::seconds max_age{0};  // [queue] max_age

    // When the sender of `original` is to be warned; nullopt: never.
    std::optional<Clock::time_point> due_at(const message::Envelope& original) const;
    // Whether to warn now, after an attempt that left some recipient deferred or not.
    bool warn_now(const message::Envelope& original, Clock::time_point now, bool already_warned,
                  bool still_deferred) const;
    // What the warning promises: Herald gives up then (RFC 3464 2.3.9 Will-Retry-Until).
    Clock::time_point gives_up_at(const message::Envelope& original) const {
        return original.arrival + max_age;
    }
};

}  // namespace herald::queue
