#pragma once
// The decisions a ServerSession asks for at each stage. The session owns the protocol; the
// policy owns who may do what (relay rules, sender rights, reject lists, rate limits).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/reply.hpp"

namespace herald::smtp {

enum class SessionMode { relay, submission, submissions };

// What the policy may look at: the session as it stands when it asks.
struct SessionView {
    SessionMode mode = SessionMode::relay;
    std::string_view client_ip;
    bool tls = false;
    std::string_view helo;
    std::string_view auth_user;  // empty: not authenticated
    std::string_view sender;     // set once MAIL was accepted
    // `herald sendmail`: a user of this machine, trusted as the relay networks are. Never set
    // for a network client.
    bool local_user = false;
};

class SessionPolicy {
  public:
    virtual ~SessionPolicy() = default;
    // nullopt accepts; a Reply (4xx/5xx) refuses with that reply.
    virtual std::optional<Reply> check_sender(const SessionView& session,
                                              std::string_view sender) = 0;
    virtual std::optional<Reply> check_recipient(const SessionView& session,
                                                 std::string_view recipient) = 0;
    // The envelope recipients an accepted recipient becomes: itself, or what an alias or
    // <postmaster> (RFC 5321 4.5.1) stands for.
    virtual std::vector<std::string> delivery_addresses(std::string_view recipient) {
        return {std::string(recipient)};
    }
    // After check_recipient() let a recipient through: a question the policy could not answer
    // at once (a count other nodes keep too). The session then emits PolicyQuery and waits
    // for policy_answer() before it replies to the RCPT.
    virtual bool query_pending() const { return false; }
};

}  // namespace herald::smtp
