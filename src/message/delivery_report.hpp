#pragma once
// A delivery status notification (RFC 3464): multipart/report with a human part, the
// machine-readable message/delivery-status part and the original header section
// (text/rfc822-headers, or the whole message as message/rfc822 when the sender asked RET=FULL),
// sent to the envelope sender. A bounce (every recipient "failed"), a delay warning (every
// recipient "delayed", RFC 3464 2.3.3), or a success notice that a sender asked for with
// NOTIFY=SUCCESS (RFC 3461: "delivered", or "relayed" to a next hop that does not report
// further). Each says, per recipient, the last reply and the host that gave it
// (Diagnostic-Code, Remote-MTA).
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald::message {

enum class ReportAction { failed, delayed, delivered, relayed };  // RFC 3464 2.3.3

struct ReportedRecipient {
    std::string address;
    std::string diagnostic;   // the last reply (remote, or our own reason when none came)
    std::string remote_host;  // "mx.example.net [192.0.2.1]" or ""
    std::string category;     // the bounce category (docs/events.md), "" when unknown
    // Why Herald gave up when the last reply does not say it ("bounced by the
    // administrator"); "" when the diagnostic is the whole story.
    std::string reason;
    // The RFC 3463 status when it is not the diagnostic's own (4.4.7 for an expired
    // message); "" takes it from the diagnostic.
    std::string status;
    std::optional<std::chrono::system_clock::time_point> last_attempt;
    // A success notice's recipients differ: "delivered" or "relayed". Else the report's.
    std::optional<ReportAction> action;
    std::string original_recipient;  // ORCPT (RFC 3461 4.2), "rfc822;bob@example.com", or ""
};

struct DeliveryReport {
    using Clock = std::chrono::system_clock;
    using Action = ReportAction;

    Action action = Action::failed;  // delivered: a success notice, recipients say which
    std::string reporting_host;      // our hostname
    std::string queue_id;            // of the original message
    Clock::time_point arrival;
    std::string original_sender;
    std::vector<ReportedRecipient> recipients;
    // Delayed: when Herald gives up (arrival + [queue] max_age), RFC 3464 2.3.9.
    std::optional<Clock::time_point> will_retry_until;
    std::string envelope_id;       // ENVID (RFC 3461 4.4), "" when not given
    std::string original_message;  // CRLF; its header section, or all of it with return_full
    bool return_full = false;      // RET=FULL: the whole message, when at most kMaxReturned
    // How much of that header section is returned, whole fields only; DKIM-Signature fields
    // never are.
    static constexpr std::size_t kMaxReturnedHeaders = 16 * 1024;
    // RET=FULL returns a message up to this size; a larger one, its header section only
    // (RFC 3461 4.3 lets the report be shorter than asked).
    static constexpr std::size_t kMaxReturned = 10 * 1024 * 1024;
    // A diagnostic is cut here: with its field name it stays within RFC 5322's 998 octets
    // even where it has no space to fold at.
    static constexpr std::size_t kMaxDiagnostic = 900;

    // The complete message (CRLF), with From: MAILER-DAEMON@reporting_host, To: the original
    // sender, Auto-Submitted: auto-replied (RFC 3834), Message-ID and Date.
    std::string build(std::string_view message_id) const;
};

// The RFC 3463 status of a diagnostic: the enhanced code in it ("550 5.1.1 ..." -> "5.1.1"),
// or `fallback` when it has none.
std::string status_code_of(std::string_view diagnostic, std::string_view fallback = "5.0.0");

}  // namespace herald::message
