#pragma once
// Everything the server decides about clients from the config: relay rules and reject lists,
// AUTH accounts, rate limits. Built whole from one config and swapped whole on reload; a
// connection keeps the set it started with, so that no decision mixes two configs.
#include <memory>

#include "config/config.hpp"
#include "policy/password_verifier.hpp"
#include "policy/rate_limiter.hpp"
#include "policy/relay_policy.hpp"

namespace herald::policy {

struct Policies {
    explicit Policies(const config::Config& config)
        : relay(config),
          verifier(config.users),
          limiter(config.rate_limits.empty() ? nullptr
                                             : std::make_unique<RateLimiter>(config.rate_limits)) {}

    RelayPolicy relay;
    PasswordVerifier verifier;
    std::unique_ptr<RateLimiter> limiter;  // null: no [[rate_limit]]
};

}  // namespace herald::policy
