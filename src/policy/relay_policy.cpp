#include "policy/relay_policy.hpp"

#include <algorithm>
#include <iterator>

#include "base/address_parts.hpp"
#include "config/value_formats.hpp"
#include "policy/recipient_address.hpp"
#include "smtp/canonical_address.hpp"

namespace herald::policy {

namespace {

template <typename Container>
Container lowered(const std::vector<std::string>& values) {
    Container out;
    std::transform(values.begin(), values.end(), std::inserter(out, out.end()),
                   [](const std::string& v) { return config::ascii_lowercase(v); });
    return out;
}

// A [reject] senders entry in the form senders are compared in: "\"bad\"@Example.com" is
// bad@example.com. An entry that is no address ("*@domain") is only lower-cased.
std::unordered_set<std::string> rejected_sender_entries(const std::vector<std::string>& entries) {
    std::unordered_set<std::string> out;
    for (const auto& entry : entries) {
        std::string form = entry;
        if (!entry.starts_with("*@")) {
            if (auto canonical = smtp::canonical_mailbox(entry)) form = std::move(*canonical);
        }
        out.insert(ascii_lowercase(form));
    }
    return out;
}

// What [local] says, or, should a file have become unreadable since the config was checked,
// no recipient but postmaster (fail closed: refused at RCPT, never accepted and lost).
LocalRecipients local_recipients(const config::Config& config) {
    auto loaded = LocalRecipients::load(config.local, config.server.hostname);
    if (loaded) return std::move(*loaded);
    return LocalRecipients::none(config.local, config.server.hostname);
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
      local_(local_recipients(config)),
      rejected_senders_(rejected_sender_entries(config.reject.senders)),
      rejected_users_(config.reject.users.begin(), config.reject.users.end()) {
    if (auto networks = NetworkList::parse(config.relay.networks)) networks_ = std::move(*networks);
    for (const auto& user : config.users) {
        sender_domains_[user.name] = lowered<std::vector<std::string>>(user.sender_domains);
    }
    // An API key sends as user "api:<name>" (no [[user]] may be called that).
    for (const auto& key : config.api_keys) {
        sender_domains_[key.user()] = lowered<std::vector<std::string>>(key.sender_domains);
    }
}

bool RelayPolicy::is_local_recipient(std::string_view recipient) const {
    if (recipient == "postmaster") return true;  // RFC 5321 4.5.1: ours, whatever it becomes
    const auto domain = domain_of(recipient);
    return !domain.empty() && local_.is_local_domain(domain);
}

bool RelayPolicy::is_trusted_client(std::string_view client_ip, std::string_view auth_user) const {
    return !auth_user.empty() || networks_.contains(client_ip);
}

std::vector<std::string> RelayPolicy::delivery_addresses(std::string_view recipient) {
    return local_.delivery_addresses(recipient);
}

// A reject list that a change of case could slip past would be no list: the whole address
// is compared without regard to case.
bool RelayPolicy::is_rejected_sender(std::string_view sender) const {
    if (sender.empty()) return false;
    return rejected_senders_.contains(config::ascii_lowercase(sender)) ||
           rejected_senders_.contains("*@" + sender_domain(sender));
}

bool RelayPolicy::may_send_as_domain(std::string_view user, std::string_view domain) const {
    auto it = sender_domains_.find(std::string(user));
    if (it == sender_domains_.end() || domain.empty()) return false;
    return contains(it->second, "*") || contains(it->second, ascii_lowercase(domain));
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
    if (!may_send_as_domain(session.auth_user, sender_domain(sender))) {
        return smtp::Reply{553, "5.7.1",
                           "Sender address not owned by user " + std::string(session.auth_user)};
    }
    return std::nullopt;
}

std::optional<smtp::Reply> RelayPolicy::check_relay(const smtp::SessionView& session) const {
    if (session.local_user || networks_.contains(session.client_ip)) return std::nullopt;
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
    if (recipient == "postmaster") return std::nullopt;  // RFC 5321 4.5.1, from anyone
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
    if (local_.is_local_domain(address->domain)) {
        if (!local_.accepts(recipient)) {
            return smtp::Reply{550, "5.1.1", "User unknown in local recipient table"};
        }
        return std::nullopt;
    }
    return check_relay(session);
}

}  // namespace herald::policy
