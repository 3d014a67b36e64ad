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
    // `shared_limits`: the nodes of a cluster count together, in a store the gate cannot ask
    // at once; a recipient that would count leaves a query for the caller (query_pending()).
    SessionGate(RelayPolicy& relay, RateLimiter* limiter, const Suppressing* suppressing = nullptr,
                bool shared_limits = false)
        : relay_(relay),
          limiter_(limiter),
          suppressing_(suppressing),
          shared_limits_(shared_limits && limiter) {}

    std::optional<smtp::Reply> check_sender(const smtp::SessionView& session,
                                            std::string_view sender) override;
    std::optional<smtp::Reply> check_recipient(const smtp::SessionView& session,
                                               std::string_view recipient) override;
    std::vector<std::string> delivery_addresses(std::string_view recipient) override {
        return relay_.delivery_addresses(recipient);
    }

    // A message to count in the shared store: whom it counts for, until settle().
    bool query_pending() const override { return pending_.has_value(); }
    RateSubject pending_subject() const;
    // The shared store's answer (why the message is over a limit, if it is); the reply that
    // refuses the recipient, if any.
    std::optional<smtp::Reply> settle(const std::optional<std::string>& over_limit);

  private:
    struct OwnedSubject {
        std::string sender, user, client_ip;
    };
    std::optional<smtp::Reply> over_limit(const RateSubject& subject) const;
    static smtp::Reply refusal(const std::string& why);
    std::optional<smtp::Reply> suppressed(const smtp::SessionView& session,
                                          std::string_view recipient) const;

    RelayPolicy& relay_;
    RateLimiter* limiter_;
    const Suppressing* suppressing_;
    bool shared_limits_;
    bool counted_ = false;  // this transaction's message is counted
    std::optional<OwnedSubject> pending_;
};

}  // namespace herald::policy
