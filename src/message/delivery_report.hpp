#pragma once
// The bounce: an RFC 3464 delivery status notification, multipart/report with a human part,
// the machine-readable message/delivery-status part and the original header section
// (text/rfc822-headers), sent to the envelope sender of a message that could not be
// delivered to some recipients.
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace herald::message {

struct FailedRecipient {
    std::string address;
    std::string diagnostic;   // the remote reply or our reason
    std::string remote_host;  // "mx.example.net [192.0.2.1]" or ""
    std::string category;     // the bounce category (docs/events.md), "" when unknown
};

struct DeliveryReport {
    std::string reporting_host;  // our hostname
    std::string queue_id;        // of the original message
    std::chrono::system_clock::time_point arrival;
    std::string original_sender;
    std::vector<FailedRecipient> failed;
    std::string original_message;  // CRLF; only its header section is included
    // How much of that header section is returned, whole fields only; DKIM-Signature fields
    // never are.
    static constexpr std::size_t kMaxReturnedHeaders = 16 * 1024;

    // The complete message (CRLF), with From: MAILER-DAEMON@reporting_host, To: the original
    // sender, Auto-Submitted: auto-replied (RFC 3834), Message-ID and Date.
    std::string build(std::string_view message_id) const;
};

// The RFC 3463 status of a diagnostic: the enhanced code in it ("550 5.1.1 ..." -> "5.1.1"),
// or 5.0.0 when it has none.
std::string status_code_of(std::string_view diagnostic);

}  // namespace herald::message
