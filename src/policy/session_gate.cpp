#include "policy/session_gate.hpp"

namespace herald::policy {

namespace {

RateSubject subject_of(const smtp::SessionView& session, std::string_view sender) {
    return {sender, session.auth_user, session.client_ip};
}

}  // namespace

std::optional<smtp::Reply> SessionGate::over_limit(const RateSubject& subject) const {
    auto why = limiter_->over_limit(subject, RateLimiter::Clock::now());
    if (!why) return std::nullopt;
    // Temporary: a legitimate client retries once the window has passed.
    return smtp::Reply(451, "4.7.1", "Rate " + *why + "; try again later");
}

std::optional<smtp::Reply> SessionGate::check_sender(const smtp::SessionView& session,
                                                     std::string_view sender) {
    if (auto refused = relay_.check_sender(session, sender)) return refused;
    counted_ = false;
    if (!limiter_) return std::nullopt;
    return over_limit(subject_of(session, sender));
}

std::optional<smtp::Reply> SessionGate::check_recipient(const smtp::SessionView& session,
                                                        std::string_view recipient) {
    if (auto refused = relay_.check_recipient(session, recipient)) return refused;
    if (!limiter_ || counted_ || relay_.is_local_recipient(recipient)) return std::nullopt;
    // Checked again here: other sessions may have used up the limit since MAIL.
    const RateSubject subject = subject_of(session, session.sender);
    if (auto refused = over_limit(subject)) return refused;
    limiter_->count(subject, RateLimiter::Clock::now());
    counted_ = true;
    return std::nullopt;
}

}  // namespace herald::policy
