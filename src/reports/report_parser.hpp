#pragma once
// Reading what comes back to the bounce domain (docs/events.md): delivery status
// notifications (RFC 3464, multipart/report; report-type=delivery-status) and feedback
// reports (RFC 5965 ARF, report-type=feedback-report), as the big providers and the common
// MTAs really write them: fields in any case, folded or not, LF-only line ends, a report
// part inside multipart/mixed, a final boundary missing. Sans I/O.
//
// Anyone can send these to us, so the work is bounded for any input up to the largest
// message accepted (10 MB and more): the MIME structure is split here, a limited number of
// parts at a limited depth, and GMime reads only what is small by then (a Content-Type
// value, a transfer encoding, a charset). GMime's own message parser is not used on the
// whole message: on 10 MB of empty MIME parts it takes gigabytes of memory, and on a long
// address list in a header minutes.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald::reports {

// One per-recipient group of a message/delivery-status part (RFC 3464 2.3).
struct RecipientStatus {
    // Address only, the "rfc822;" type stripped, angle brackets stripped.
    std::string final_recipient;
    std::string original_recipient;
    std::string action;      // lower-case: failed, delayed, delivered, relayed, expanded
    std::string status;      // "5.1.1"
    std::string diagnostic;  // Diagnostic-Code without its type ("smtp; "), folded lines joined
    std::string remote_mta;
};

// The fields of a message/feedback-report part (RFC 5965 3.1).
struct FeedbackFields {
    std::string feedback_type, user_agent, version, original_mail_from, original_rcpt_to, source_ip,
        arrival_date, reported_domain;
};

struct Report {
    enum class Kind { delivery_status, feedback, unknown };
    Kind kind = Kind::unknown;
    std::vector<RecipientStatus> recipients;  // delivery_status
    FeedbackFields feedback;                  // feedback
    // The returned message's header section (message/rfc822 or text/rfc822-headers part), ""
    // when absent.
    std::string original_headers;
    // The first text/plain part (or the whole body when not MIME), at most 64 KiB, for the
    // fallback.
    std::string text;
    // Why a report part was unusable ("" when fine), for a log line.
    std::string problem;
};

// Never throws, never aborts; bounded work for any input (the message may be 10 MB).
//
// The kind is that of the first report part found (message/delivery-status or
// message/global-delivery-status, message/feedback-report), in document order, in any
// multipart but not inside an attached message. A delivery-status part counts when at least
// one of its recipient groups has an Action or a valid Status; groups with neither are left
// out. A feedback report counts when it has a Feedback-Type. Otherwise the kind is unknown
// and `problem` says why; the caller falls back on find_reply_in_text(text).
//
// Field values are as written except: addresses lose their type and angle brackets; Action
// and Feedback-Type are lower-cased; Status is the RFC 3463 code only ("" when the field
// holds none); a Remote-MTA of type dns is the host name alone (no comment, no final dot);
// a multi-line SMTP reply in a Diagnostic-Code reads as one reply ("550-5.1.1 a" folded
// onto "550 5.1.1 b" becomes "550 5.1.1 a b"); a control character becomes a space (the
// values go into log lines). A value is at most 2 KiB; at most 10,000 recipients are read.
Report parse_report(std::string_view message);

// The first SMTP reply in free text, for bounces without a delivery-status part: "550 5.1.1 User
// unknown" or "550-5.1.1 ..." -> "550 5.1.1 User unknown" (the line it is on, trimmed, at most 512
// chars). nullopt when none.
//
// The reply is taken from its code to the end of its line ("host mx [192.0.2.1]: 550 5.1.1
// User unknown" gives "550 5.1.1 User unknown"). A code counts when an RFC 3463 code of the
// same class follows it, or when it starts the line, follows a colon ("said: 550 ...") or a
// sendmail transcript's "<<<"; numbers in dates, sizes and addresses do not.
std::optional<std::string> find_reply_in_text(std::string_view text);

// Every address in `headers` (Return-Path, To, ... of an original message) that ends in "@" +
// domain (case-insensitive), local part as written. For finding the VERP return path.
//
// Candidates in order of appearance, each once, at most 100: the caller verifies each
// (a local part is read back to the first character that cannot be in an unquoted one, so
// "smtp.mailfrom=b+x@domain" in an Authentication-Results field is a candidate too).
std::vector<std::string> addresses_at(std::string_view headers, std::string_view domain);

}  // namespace herald::reports
