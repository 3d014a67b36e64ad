#include "message/delivery_report.hpp"

#include <fmt/format.h>

#include <cctype>
#include <random>

#include "base/timestamp.hpp"
#include "message/header_block.hpp"

namespace herald::message {

namespace {

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

// A diagnostic comes from a remote server: it must not break our header lines.
std::string one_line(std::string_view text) {
    std::string out;
    for (char c : text) out += (c == '\r' || c == '\n') ? ' ' : c;
    return out;
}

// The original header section as returned in the report: at most kMaxReturnedHeaders octets,
// whole fields only, and without DKIM-Signature fields. A signature Herald made, handed back
// to whoever the sender is, would let them replay signed headers as their own (and a bounce
// needs none of them to say what failed).
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

}  // namespace

std::string status_code_of(std::string_view diagnostic) {
    std::size_t pos = 0;
    for (int word = 0; word < 3 && pos < diagnostic.size(); ++word) {
        auto end = diagnostic.find(' ', pos);
        std::string_view token = diagnostic.substr(
            pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
        if (is_status_code(token)) return std::string(token);
        if (end == std::string_view::npos) break;
        pos = end + 1;
    }
    return "5.0.0";
}

std::string DeliveryReport::build(std::string_view message_id) const {
    const std::string b = boundary();
    const auto now = std::chrono::system_clock::now();
    std::string out;
    out += "From: Mail Delivery System <MAILER-DAEMON@" + reporting_host + ">\r\n";
    out += "To: <" + original_sender + ">\r\n";
    out += "Subject: Undelivered Mail Returned to Sender\r\n";
    out += "Date: " + rfc5322_date(now) + "\r\n";
    out += "Message-ID: <" + std::string(message_id) + ">\r\n";
    out += "Auto-Submitted: auto-replied\r\n";
    out += "MIME-Version: 1.0\r\n";
    out += "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"" + b +
           "\"\r\n\r\n";
    out += "This is a MIME-encapsulated message.\r\n\r\n--" + b + "\r\n";
    out += "Content-Type: text/plain; charset=utf-8\r\n\r\n";
    out += "This is the mail system at host " + reporting_host + ".\r\n\r\n";
    out += "Your message could not be delivered to one or more recipients.\r\n\r\n";
    for (const auto& f : failed) {
        out += "<" + f.address + ">: " + one_line(f.diagnostic) + "\r\n";
    }
    out += "\r\n--" + b + "\r\n";
    out += "Content-Type: message/delivery-status\r\n\r\n";
    out += "Reporting-MTA: dns; " + reporting_host + "\r\n";
    out += "X-Herald-Queue-ID: " + queue_id + "\r\n";
    out += "Arrival-Date: " + rfc5322_date(arrival) + "\r\n";
    for (const auto& f : failed) {
        out += "\r\nFinal-Recipient: rfc822; " + f.address + "\r\n";
        out += "Action: failed\r\n";
        out += "Status: " + status_code_of(f.diagnostic) + "\r\n";
        if (!f.remote_host.empty()) {
            std::string host = f.remote_host.substr(0, f.remote_host.find(' '));
            out += "Remote-MTA: dns; " + one_line(host) + "\r\n";
            out += "Diagnostic-Code: smtp; " + one_line(f.diagnostic) + "\r\n";
        } else {
            out += "Diagnostic-Code: x-herald; " + one_line(f.diagnostic) + "\r\n";
        }
        // An extension field (RFC 3464 7): the category Herald's events give this failure.
        if (!f.category.empty()) out += "X-Herald-Bounce-Category: " + f.category + "\r\n";
    }
    out += "\r\n--" + b + "\r\n";
    out += "Content-Type: text/rfc822-headers\r\n\r\n";
    out += returned_header_section(original_message);
    out += "\r\n--" + b + "--\r\n";
    return out;
}

}  // namespace herald::message
