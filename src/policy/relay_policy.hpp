#pragma once
// Who may send as whom, and to whom (DESIGN.md invariant: never relay for a client that is
// neither authenticated nor in relay networks; address tricks are what they are).
//
//   MAIL: [reject] senders and users are refused; an authenticated user sends only as its
//         sender_domains; submission listeners require AUTH.
//   RCPT: local recipients (LocalRecipients: listed mailboxes, aliases, postmaster) are
//         accepted from anyone, other local parts refused with 550 5.1.1; other
//         domains only from relay networks or authenticated users (on a relay listener
//         only when block_auth_relay_on_relay_listeners is off); source routes, percent
//         hacks, bang paths and '@' in local parts are refused from everyone.
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "config/config.hpp"
#include "policy/local_recipients.hpp"
#include "policy/network_list.hpp"
#include "smtp/session_policy.hpp"

namespace herald::policy {

class RelayPolicy : public smtp::SessionPolicy {
  public:
    // Takes what it needs from config, which was validated by config::load_file; should a
    // network be malformed anyway, nobody relays by network (fail closed).
    explicit RelayPolicy(const config::Config& config);

    std::optional<smtp::Reply> check_sender(const smtp::SessionView& session,
                                            std::string_view sender) override;
    std::optional<smtp::Reply> check_recipient(const smtp::SessionView& session,
                                               std::string_view recipient) override;

    std::vector<std::string> delivery_addresses(std::string_view recipient) override;

    // True for an address in one of [local] domains, and for <postmaster>.
    bool is_local_recipient(std::string_view recipient) const;
    // A client Herald acts for: one in the relay networks, or an authenticated user. Mail from
    // anyone else is only ever for local recipients, and is never signed (DESIGN.md).
    bool is_trusted_client(std::string_view client_ip, std::string_view auth_user) const;
    // Whether `user` may send as addresses of `domain` (its sender_domains).
    bool may_send_as_domain(std::string_view user, std::string_view domain) const;

  private:
    bool is_rejected_sender(std::string_view sender) const;
    std::optional<smtp::Reply> check_relay(const smtp::SessionView& session) const;

    NetworkList networks_;
    bool block_auth_relay_on_relay_listeners_ = true;
    LocalRecipients local_;
    std::unordered_map<std::string, std::vector<std::string>> sender_domains_;  // by user
    std::unordered_set<std::string> rejected_senders_;  // canonical, lower-case: "a@b" or "*@b"
    std::unordered_set<std::string> rejected_users_;
};

}  // namespace herald::policy
