#pragma once
// The policy one SMTP session asks: the relay rules, then the rate limits. One per
// connection, because a message is counted against the limits once, at its first relayed
// recipient, and only the session knows which recipient is the first.
#include <optional>
#include <string_view>

#include "policy/rate_limiter.hpp"
#include "policy/relay_policy.hpp"
#include "policy/suppressing.hpp"
#include "smtp/session_policy.hpp"

namespace herald::policy {

class SessionGate final : public smtp::SessionPolicy {
  public:
    // `limiter` may be null: no [[rate_limit]]; `suppressing` too: no suppression lists.
    SessionGate(RelayPolicy& relay, RateLimiter* limiter, const Suppressing* suppressing = nullptr)
        : relay_(relay), limiter_(limiter), suppressing_(suppressing) {}

    std::optional<smtp::Reply> check_sender(const smtp::SessionView& session,
                                            std::string_view sender) override;
    std::optional<smtp::Reply> check_recipient(const smtp::SessionView& session,
                                               std::string_view recipient) override;
    std::vector<std::string> delivery_addresses(std::string_view recipient) override {
        return relay_.delivery_addresses(recipient);
    }

  private:
    std::optional<smtp::Reply> over_limit(const RateSubject& subject) const;
    std::optional<smtp::Reply> suppressed(const smtp::SessionView& session,
                                          std::string_view recipient) const;

    RelayPolicy& relay_;
    RateLimiter* limiter_;
    const Suppressing* suppressing_;
    bool counted_ = false;  // this transaction's message is counted
};

}  // namespace herald::policy
