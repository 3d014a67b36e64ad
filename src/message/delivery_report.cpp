#include "message/delivery_report.hpp"

#include <fmt/format.h>

#include <cctype>
#include <random>

#include "base/timestamp.hpp"
#include "message/header_block.hpp"

namespace herald::message {

namespace {

using Action = DeliveryReport::Action;

// RFC 5322 2.1.1: lines SHOULD stay within 78 characters.
constexpr std::size_t kLineRoom = 78;

bool is_status_code(std::string_view word) {
    // class "." subject "." detail, class 2/4/5 (RFC 3463 2)
    if (word.size() < 5 || (word[0] != '2' && word[0] != '4' && word[0] != '5') || word[1] != '.') {
        return false;
    }
    int dots = 0;
    for (char c : word.substr(1)) {
        if (c == '.') {
            ++dots;
        } else if (!std::isdigit(static_cast<unsigned char>(c))) {
            return false;
        }
    }
    return dots == 2 && word.back() != '.';
}

// An SMTP reply begins with its three-digit code (RFC 5321 4.2); anything else in a
// diagnostic is Herald's own account ("connect to ...: refused").
bool is_smtp_reply(std::string_view text) {
    return text.size() >= 3 && text[0] >= '2' && text[0] <= '5' &&
           std::isdigit(static_cast<unsigned char>(text[1])) &&
           std::isdigit(static_cast<unsigned char>(text[2])) &&
           (text.size() == 3 || text[3] == ' ' || text[3] == '-');
}

// A diagnostic comes from a remote server and may hold anything: it must neither break our
// lines nor carry 8-bit bytes into a 7-bit part (RFC 3464 2.1.1 fields are US-ASCII). Controls
// and runs of white space become one space, 8-bit bytes '?', and it is cut at kMaxDiagnostic.
std::string printable(std::string_view text) {
    std::string out;
    for (char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (out.size() >= DeliveryReport::kMaxDiagnostic) {
            out += "...";
            break;
        }
        if (c <= ' ' || c == 0x7f) {
            if (!out.empty() && out.back() != ' ') out += ' ';
        } else {
            out += c >= 0x80 ? '?' : ch;
        }
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

// `line` broken before its spaces so that each piece stays within kLineRoom where its words
// allow, each piece after the first starting with `indent`. With indent " " this is RFC 5322
// 2.2.3 folding: unfolded, the field reads as it was.
std::string folded(std::string_view line, std::string_view indent) {
    std::string out;
    std::size_t column = 0;
    std::size_t pos = 0;
    while (true) {
        const auto space = line.find(' ', pos);
        const auto end = space == std::string_view::npos ? line.size() : space;
        const std::string_view word = line.substr(pos, end - pos);
        if (pos == 0) {
            out += word;
            column = word.size();
        } else if (!word.empty() && column + 1 + word.size() > kLineRoom) {
            out += "\r\n";
            out += indent;
            out += word;
            column = indent.size() + word.size();
        } else {
            out += ' ';
            out += word;
            column += 1 + word.size();
        }
        if (end == line.size()) break;
        pos = end + 1;
    }
    return out;
}

std::string field(std::string_view name, std::string_view value) {
    return folded(std::string(name) + ": " + std::string(value), " ") + "\r\n";
}

// "mx.example.net [192.0.2.1]" -> "mx.example.net": Remote-MTA is a name (RFC 3464 2.3.5).
std::string host_name(std::string_view remote_host) {
    return printable(remote_host.substr(0, remote_host.find(' ')));
}

// The original header section as returned in the report: at most kMaxReturnedHeaders octets,
// whole fields only, and without DKIM-Signature fields. A signature Herald made, handed back
// to whoever the sender is, would let them replay signed headers as their own (and a report
// needs none of them to say what happened).
std::string returned_header_section(std::string_view original) {
    std::string out;
    const HeaderBlock headers = HeaderBlock::parse(original);
    for (const auto& field : headers.fields()) {
        if (same_field_name(field.name, "DKIM-Signature")) continue;
        std::string_view text = original.substr(field.begin, field.end - field.begin);
        if (out.size() + text.size() + 2 > DeliveryReport::kMaxReturnedHeaders) break;
        out += text;
        if (!text.ends_with('\n')) out += "\r\n";
    }
    return out;
}

std::string boundary() {
    std::random_device rd;
    return fmt::format("herald-report-{:08x}{:08x}", rd(), rd());
}

Action action_of(const ReportedRecipient& r, const DeliveryReport& report) {
    return r.action.value_or(report.action);
}

std::string_view action_name(Action action) {
    switch (action) {
        case Action::failed:
            break;
        case Action::delayed:
            return "delayed";
        case Action::delivered:
            return "delivered";
        case Action::relayed:
            return "relayed";
    }
    return "failed";
}

std::string status_of(const ReportedRecipient& r, Action action) {
    if (!r.status.empty()) return r.status;
    if (action == Action::delivered || action == Action::relayed) {
        return status_code_of(r.diagnostic, "2.0.0");
    }
    return status_code_of(r.diagnostic, action == Action::delayed ? "4.0.0" : "5.0.0");
}

// The whole message when RET=FULL asked for it and it is not too large: its header section as
// returned_header_section() makes it, and the body as it is.
bool returns_full(const DeliveryReport& report) {
    return report.return_full && report.original_message.size() <= DeliveryReport::kMaxReturned;
}

// What the human part says of one recipient: the reason, and the last error with its host.
std::string human_lines(const ReportedRecipient& r) {
    const std::string diagnostic = printable(r.diagnostic);
    const std::string said = r.remote_host.empty()
                                 ? diagnostic
                                 : "host " + printable(r.remote_host) + " said: " + diagnostic;
    const std::string recipient = "<" + r.address + ">: ";
    if (r.reason.empty()) return folded(recipient + said, "    ") + "\r\n";
    std::string out = folded(recipient + printable(r.reason), "    ") + "\r\n";
    if (!diagnostic.empty()) out += folded("    The last error: " + said, "    ") + "\r\n";
    return out;
}

std::string human_part(const DeliveryReport& report) {
    std::string out = "This is the mail system at host " + report.reporting_host + ".\r\n\r\n";
    if (report.action == Action::delayed) {
        std::string text =
            "Your message has not been delivered yet to the recipients below. It "
            "has been in the queue since " +
            rfc5322_date(report.arrival) + ". The mail system is still trying";
        if (report.will_retry_until) {
            text += " and will give up at " + rfc5322_date(*report.will_retry_until) +
                    "; if it has not been delivered by then, you will get another message";
        }
        out += folded(text + ". You do not need to send it again.", "") + "\r\n\r\n";
    } else if (report.action == Action::delivered) {
        out += folded(
                   "Your message was delivered to the recipients below, or handed on to a mail "
                   "system that does not report further (\"relayed\"), as you asked.",
                   "") +
               "\r\n\r\n";
    } else {
        out += "Your message could not be delivered to one or more recipients.\r\n\r\n";
    }
    for (const auto& r : report.recipients) out += human_lines(r);
    return out;
}

// One recipient's block of the message/delivery-status part (RFC 3464 2.3).
std::string recipient_fields(const ReportedRecipient& r, const DeliveryReport& report) {
    std::string out = "\r\n";
    if (!r.original_recipient.empty()) {
        out += field("Original-Recipient", printable(r.original_recipient));
    }
    out += "Final-Recipient: rfc822; " + r.address + "\r\n";
    const Action action = action_of(r, report);
    out += "Action: " + std::string(action_name(action)) + "\r\n";
    out += "Status: " + status_of(r, action) + "\r\n";
    if (!r.remote_host.empty()) out += field("Remote-MTA", "dns; " + host_name(r.remote_host));
    if (!r.diagnostic.empty()) {
        const char* type = is_smtp_reply(r.diagnostic) ? "smtp; " : "x-herald; ";
        out += field("Diagnostic-Code", type + printable(r.diagnostic));
    }
    if (r.last_attempt) out += "Last-Attempt-Date: " + rfc5322_date(*r.last_attempt) + "\r\n";
    if (report.action == Action::delayed && report.will_retry_until) {
        out += "Will-Retry-Until: " + rfc5322_date(*report.will_retry_until) + "\r\n";
    }
    // An extension field (RFC 3464 7): the category Herald's events give this failure.
    if (!r.category.empty()) out += "X-Herald-Bounce-Category: " + r.category + "\r\n";
    return out;
}

}  // namespace

std::string status_code_of(std::string_view diagnostic, std::string_view fallback) {
    std::size_t pos = 0;
    for (int word = 0; word < 3 && pos < diagnostic.size(); ++word) {
        auto end = diagnostic.find(' ', pos);
        std::string_view token = diagnostic.substr(
            pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
        if (is_status_code(token)) return std::string(token);
        if (end == std::string_view::npos) break;
        pos = end + 1;
    }
    return std::string(fallback);
}

std::string DeliveryReport::build(std::string_view message_id) const {
    const std::string b = boundary();
    const auto now = Clock::now();
    std::string out;
    out += "From: Mail Delivery System <MAILER-DAEMON@" + reporting_host + ">\r\n";
    out += "To: <" + original_sender + ">\r\n";
    out += action == Action::delayed     ? "Subject: Delayed Mail (still being retried)\r\n"
           : action == Action::delivered ? "Subject: Successful Mail Delivery Report\r\n"
                                         : "Subject: Undelivered Mail Returned to Sender\r\n";
    out += "Date: " + rfc5322_date(now) + "\r\n";
    out += "Message-ID: <" + std::string(message_id) + ">\r\n";
    out += "Auto-Submitted: auto-replied\r\n";
    out += "MIME-Version: 1.0\r\n";
    out += "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"" + b +
           "\"\r\n\r\n";
    out += "This is a MIME-encapsulated message.\r\n\r\n--" + b + "\r\n";
    out += "Content-Type: text/plain; charset=utf-8\r\n\r\n";
    out += human_part(*this);
    out += "\r\n--" + b + "\r\n";
    out += "Content-Type: message/delivery-status\r\n\r\n";
    if (!envelope_id.empty()) out += field("Original-Envelope-Id", printable(envelope_id));
    out += "Reporting-MTA: dns; " + reporting_host + "\r\n";
    out += "X-Herald-Queue-ID: " + queue_id + "\r\n";
    out += "Arrival-Date: " + rfc5322_date(arrival) + "\r\n";
    for (const auto& r : recipients) out += recipient_fields(r, *this);
    out += "\r\n--" + b + "\r\n";
    if (returns_full(*this)) {
        out += "Content-Type: message/rfc822\r\n\r\n";
        // The rest begins with the blank line that ends the header section.
        out += returned_header_section(original_message);
        out += original_message.substr(header_section_end(original_message));
    } else {
        out += "Content-Type: text/rfc822-headers\r\n\r\n";
        out += returned_header_section(original_message);
    }
    out += "\r\n--" + b + "--\r\n";
    return out;
}

}  // namespace herald::message
