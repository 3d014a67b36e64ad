#pragma once
// The SMTP envelope of one message as accepted: who sent it, to whom, and how it arrived.
#include <chrono>
#include <string>
#include <vector>

namespace herald::message {

struct Envelope {
    std::string sender;                   // MAIL FROM address without <>; "" is the null sender
    std::vector<std::string> recipients;  // RCPT TO addresses without <>
    bool smtputf8 = false;                // MAIL FROM ... SMTPUTF8
    bool body_8bit = false;               // BODY=8BITMIME
    // MAIL FROM ... REQUIRETLS (RFC 8689): every hop over TLS that DANE or an enforced
    // MTA-STS policy validated, or the mail bounces.
    bool require_tls = false;
    std::string helo;       // the client's EHLO/HELO argument
    std::string client_ip;  // "" for local injection (sendmail)
    std::string auth_user;  // "" when not authenticated
    std::string protocol;   // "smtp", "esmtp", "esmtpsa", ... (RFC 3848) or "local"
    // Sent by a client Herald does not act for (not local, not in the relay networks, not
    // authenticated): such mail is only for local recipients, and is never bounced, since its
    // sender may be forged (backscatter).
    bool from_outsider = false;
    std::chrono::system_clock::time_point arrival;
};

}  // namespace herald::message
