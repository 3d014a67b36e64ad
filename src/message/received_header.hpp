#pragma once
// The Received trace field a server prepends to every message it accepts (RFC 5321 4.4,
// RFC 5322 3.6.7), with the protocol names of RFC 3848.
#include <chrono>
#include <string>

namespace herald::message {

struct ReceivedHeader {
    // The client: left out entirely when all are empty (local injection) or when masked.
    std::string helo;
    std::string client_reverse_name;  // empty when unknown
    std::string client_ip;
    bool mask_client = false;  // submission: do not publish the sender's address

    std::string hostname;  // ours
    std::string protocol;  // "esmtpsa", "smtp", "local", ...
    std::string queue_id;
    std::string recipient;  // set only for a single recipient: more would reveal Bcc
    std::chrono::system_clock::time_point time;

    // The whole field, folded, ending in CRLF.
    std::string field() const;
};

}  // namespace herald::message
