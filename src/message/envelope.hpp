#pragma once
// The SMTP envelope of one message as accepted: who sent it, to whom, and how it arrived.
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "message/dsn_request.hpp"

namespace herald::message {

struct Envelope {
    std::string sender;                   // MAIL FROM address without <>; "" is the null sender
    std::vector<std::string> recipients;  // RCPT TO addresses without <>
    bool smtputf8 = false;                // MAIL FROM ... SMTPUTF8
    bool body_8bit = false;               // BODY=8BITMIME
    // MAIL FROM ... REQUIRETLS (RFC 8689): every hop over TLS that DANE or an enforced
    // MTA-STS policy validated, or the mail bounces.
    bool require_tls = false;
    // DSN (RFC 3461): RET= and ENVID= of MAIL, and NOTIFY=/ORCPT= of each recipient that
    // had any, by its address in `recipients`.
    DsnReturn dsn_return = DsnReturn::unspecified;
    std::string envelope_id;
    std::map<std::string, RecipientDsn, std::less<>> recipient_dsn;
    std::string helo;       // the client's EHLO/HELO argument
    std::string client_ip;  // "" for local injection (sendmail)
    std::string auth_user;  // "" when not authenticated
    std::string protocol;   // "smtp", "esmtp", "esmtpsa", ... (RFC 3848) or "local"
    // Sent by a client Herald does not act for (not local, not in the relay networks, not
    // authenticated): such mail is only for local recipients, and is never bounced, since its
    // sender may be forged (backscatter).
    bool from_outsider = false;
    std::chrono::system_clock::time_point arrival;

    // `dsn` for the message and every one of `recipients`.
    void ask_for(const MessageDsn& dsn) {
        dsn_return = dsn.ret;
        envelope_id = dsn.envelope_id;
        if (!dsn.notify) return;
        for (const auto& recipient : recipients) recipient_dsn[recipient].notify = dsn.notify;
    }

    // What `recipient` asked of DSNs: the default when nothing.
    RecipientDsn dsn_of(std::string_view recipient) const {
        auto it = recipient_dsn.find(recipient);
        return it == recipient_dsn.end() ? RecipientDsn{} : it->second;
    }
};

}  // namespace herald::message
