#include "policy/relay_policy.hpp"

#include <algorithm>
#include <iterator>

#include "base/address_parts.hpp"
#include "config/value_formats.hpp"
#include "policy/recipient_address.hpp"

namespace herald::policy {

namespace {

template <typename Container>
Container lowered(const std::vector<std::string>& values) {
    Container out;
    std::transform(values.begin(), values.end(), std::inserter(out, out.end()),
                   [](const std::string& v) { return config::ascii_lowercase(v); });
    return out;
}

// The domain of a reverse-path, lower-case; empty for the null sender.
std::string sender_domain(std::string_view sender) {
    return ascii_lowercase(domain_of(sender));
}

bool contains(const std::vector<std::string>& values, std::string_view value) {
    return std::find(values.begin(), values.end(), value) != values.end();
}

// RFC 6409 4.3: a submission server takes mail only from authenticated users.
bool needs_auth_first(const smtp::SessionView& session) {
    return session.mode != smtp::SessionMode::relay && session.auth_user.empty();
}

smtp::Reply auth_required() {
    return {530, "5.7.0", "Authentication required"};
}

}  // namespace

RelayPolicy::RelayPolicy(const config::Config& config)
    : block_auth_relay_on_relay_listeners_(config.relay.block_auth_relay_on_relay_listeners),
      local_domains_(lowered<std::unordered_set<std::string>>(config.local.domains)),
      rejected_senders_(lowered<std::unordered_set<std::string>>(config.reject.senders)),
      rejected_users_(config.reject.users.begin(), config.reject.users.end()) {
    if (auto networks = NetworkList::parse(config.relay.networks)) networks_ = std::move(*networks);
    for (const auto& user : config.users) {
        sender_domains_[user.name] = lowered<std::vector<std::string>>(user.sender_domains);
    }
}

bool RelayPolicy::is_local_recipient(std::string_view recipient) const {
    const auto domain = domain_of(recipient);
    return !domain.empty() && is_local_domain(domain);
}

bool RelayPolicy::is_local_domain(std::string_view domain) const {
    return local_domains_.contains(config::ascii_lowercase(domain));
}

// A reject list that a change of case could slip past would be no list: the whole address
// is compared without regard to case.
bool RelayPolicy::is_rejected_sender(std::string_view sender) const {
    if (sender.empty()) return false;
    return rejected_senders_.contains(config::ascii_lowercase(sender)) ||
           rejected_senders_.contains("*@" + sender_domain(sender));
}

bool RelayPolicy::may_send_as(std::string_view user, std::string_view sender) const {
    auto it = sender_domains_.find(std::string(user));
    if (it == sender_domains_.end() || sender.empty()) return false;
    return contains(it->second, "*") || contains(it->second, sender_domain(sender));
}

std::optional<smtp::Reply> RelayPolicy::check_sender(const smtp::SessionView& session,
                                                     std::string_view sender) {
    if (needs_auth_first(session)) return auth_required();
    if (is_rejected_sender(sender)) return smtp::Reply{550, "5.7.1", "Sender address rejected"};
    if (session.auth_user.empty()) return std::nullopt;
    if (rejected_users_.contains(std::string(session.auth_user))) {
        return smtp::Reply{550, "5.7.1", "This account may not send mail"};
    }
    // An account sends only as its own domains: no forging another customer's sender, and
    // no null sender, which only bounces may use (RFC 5321 4.5.5).
    if (!may_send_as(session.auth_user, sender)) {
        return smtp::Reply{553, "5.7.1",
                           "Sender address not owned by user " + std::string(session.auth_user)};
    }
    return std::nullopt;
}

std::optional<smtp::Reply> RelayPolicy::check_relay(const smtp::SessionView& session) const {
    if (networks_.contains(session.client_ip)) return std::nullopt;
    if (session.auth_user.empty()) return smtp::Reply{554, "5.7.1", "Relay access denied"};
    // Port 25 is for mail between servers; authenticated users belong on submission, where
    // their mail is treated as such (masked Received, Message-ID, signing).
    if (session.mode == smtp::SessionMode::relay && block_auth_relay_on_relay_listeners_) {
        return smtp::Reply{554, "5.7.1",
                           "Relay access denied on this port: use the submission port"};
    }
    return std::nullopt;
}

std::optional<smtp::Reply> RelayPolicy::check_recipient(const smtp::SessionView& session,
                                                        std::string_view recipient) {
    if (needs_auth_first(session)) return auth_required();
    auto address = RecipientAddress::parse(recipient);
    if (!address) {
        return smtp::Reply{553, "5.1.3", "Bad recipient address syntax: " + address.error()};
    }
    // Never relayed and never delivered: another MTA down the line might follow the hidden
    // destination, which would make us an open relay by proxy.
    if (address->trick) {
        return smtp::Reply{550, "5.7.1",
                           "Address not accepted: it contains " + std::string(*address->trick)};
    }
    if (is_local_domain(address->domain)) {
        if (!address->local_part_is_mailbox_name()) {
            return smtp::Reply{550, "5.1.1", "No such mailbox here"};
        }
        return std::nullopt;
    }
    return check_relay(session);
}

}  // namespace herald::policy
