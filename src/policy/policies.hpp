#pragma once
// Everything the server decides about clients from the config: relay rules, local recipients
// and reject lists, AUTH accounts and API keys, rate limits, whom Herald signs for. Built whole
// from one config and swapped whole on reload; a connection keeps the set it started with, so that
// no decision mixes two configs.
#include <memory>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "mailauth/dkim/keyring.hpp"
#include "policy/local_recipients.hpp"
#include "policy/password_verifier.hpp"
#include "policy/rate_limiter.hpp"
#include "policy/relay_policy.hpp"
#include "policy/suppressing.hpp"

namespace herald::policy {

struct Policies {
    explicit Policies(const config::Config& config)
        : relay(config),
          dkim_signing(config.dkim_signing),
          mask_client_ip(config.relay.mask_client_ip),
          preflight(config.preflight.mode),
          verifier(config.users),
          api_keys(config.api_keys),
          limiter(config.rate_limits.empty() ? nullptr
                                             : std::make_unique<RateLimiter>(config.rate_limits)) {}

    // What only the files beside the config can tell (an unreadable recipient map), checked
    // where the config is: check-config, start-up and reload.
    static std::optional<std::string> unloadable(const config::Config& config) {
        auto local = LocalRecipients::load(config.local, config.server.hostname);
        if (!local) return local.error();
        return std::nullopt;
    }

    RelayPolicy relay;
    config::DkimSigning dkim_signing;
    bool mask_client_ip;  // [relay]: a submission's Received line hides the client's address
    config::Preflight::Mode preflight;  // whether mail is checked before it leaves, and refused
    PasswordVerifier verifier;
    std::vector<config::ApiKey> api_keys;  // checked by api/api_key_check.hpp
    std::unique_ptr<RateLimiter> limiter;  // null: no [[rate_limit]]
    // [cluster]: the limiter's rules are counted in Redis by every node together
    // (state/shared_rate_limits.hpp); set by the server, which holds the link.
    bool limits_shared = false;
    // The [[dkim.key]] keys, loaded by whoever builds the set (the server, sendmail): a reload
    // that replaces them leaves a message under way with the keys it started with. Null: none.
    std::shared_ptr<mailauth::dkim::Keyring> dkim_keys;
    // Set by the server, which owns the lists; kept across reloads with the rest of the set.
    Suppressing suppressing;
};

}  // namespace herald::policy
