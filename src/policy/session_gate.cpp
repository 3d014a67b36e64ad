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
    return refusal(*why);
}

// Temporary: a legitimate client retries once the window has passed.
smtp::Reply SessionGate::refusal(const std::string& why) {
    return smtp::Reply(451, "4.7.1", "Rate " + why + "; try again later");
}

RateSubject SessionGate::pending_subject() const {
    if (!pending_) return {};
    return {pending_->sender, pending_->user, pending_->client_ip};
}

std::optional<smtp::Reply> SessionGate::settle(const std::optional<std::string>& over_limit) {
    pending_.reset();
    if (over_limit) return refusal(*over_limit);
    counted_ = true;
    return std::nullopt;
}

// A suppressed address is refused as Suppressing::refuses says (submitted mail: a user, the
// API, sendmail); otherwise the delivery drops it with an event.
std::optional<smtp::Reply> SessionGate::suppressed(const smtp::SessionView& session,
                                                   std::string_view recipient) const {
    if (!suppressing_ || !suppressing_->lookup) return std::nullopt;
    const bool submitted = !session.auth_user.empty() || session.local_user ||
                           session.mode != smtp::SessionMode::relay;
    if (!suppressing_->refuses(submitted)) return std::nullopt;
    auto why = suppressing_->lookup(session.sender, recipient, session.auth_user);
    if (!why) return std::nullopt;
    return smtp::Reply(550, "5.7.1", "<" + std::string(recipient) + "> " + *why);
}

std::optional<smtp::Reply> SessionGate::check_sender(const smtp::SessionView& session,
                                                     std::string_view sender) {
    if (auto refused = relay_.check_sender(session, sender)) return refused;
    counted_ = false;
    pending_.reset();
    // Shared limits are asked once, when the message counts (the first relayed recipient).
    if (!limiter_ || shared_limits_) return std::nullopt;
    return over_limit(subject_of(session, sender));
}

std::optional<smtp::Reply> SessionGate::check_recipient(const smtp::SessionView& session,
                                                        std::string_view recipient) {
    if (suppressing_ && suppressing_->report_address) {
        if (auto report = suppressing_->report_address(recipient)) {
            if (*report) return std::nullopt;  // from anyone: receivers send reports there
            return smtp::Reply(550, "5.1.1",
                               "<" + std::string(recipient) +
                                   ">: no such bounce address (its token does "
                                   "not verify)");
        }
    }
    if (auto refused = relay_.check_recipient(session, recipient)) return refused;
    if (relay_.is_local_recipient(recipient)) return std::nullopt;
    if (auto refused = suppressed(session, recipient)) return refused;
    if (!limiter_ || counted_ || pending_) return std::nullopt;
    if (shared_limits_) {
        pending_ = OwnedSubject{std::string(session.sender), std::string(session.auth_user),
                                std::string(session.client_ip)};
        return std::nullopt;
    }
    // Checked again here: other sessions may have used up the limit since MAIL.
    const RateSubject subject = subject_of(session, session.sender);
    if (auto refused = over_limit(subject)) return refused;
    limiter_->count(subject, RateLimiter::Clock::now());
    counted_ = true;
    return std::nullopt;
}

}  // namespace herald::policy
