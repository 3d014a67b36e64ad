#pragma once
// Who may send as whom, and to whom (DESIGN.md invariant: never relay for a client that is
// neither authenticated nor in relay networks; address tricks are what they are).
//
//   MAIL: [reject] senders and users are refused; an authenticated user sends only as its
//         sender_domains; submission listeners require AUTH.
//   RCPT: local domains are accepted from anyone (mailbox-safe local parts only); other
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

    // True for an address in one of [local] domains.
    bool is_local_recipient(std::string_view recipient) const;

  private:
    bool is_local_domain(std::string_view domain) const;
    bool is_rejected_sender(std::string_view sender) const;
    bool may_send_as(std::string_view user, std::string_view sender) const;
    std::optional<smtp::Reply> check_relay(const smtp::SessionView& session) const;

    NetworkList networks_;
    bool block_auth_relay_on_relay_listeners_ = true;
    std::unordered_set<std::string> local_domains_;                             // lower-case
    std::unordered_map<std::string, std::vector<std::string>> sender_domains_;  // by user
    std::unordered_set<std::string> rejected_senders_;  // lower-case: "a@b" or "*@b"
    std::unordered_set<std::string> rejected_users_;
};

}  // namespace herald::policy
