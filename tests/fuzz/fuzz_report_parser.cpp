// What comes back to the bounce domain (src/reports/report_parser.hpp): anyone can send it, so
// every input must be read within the limits, and what is read must be safe to log.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "base/ascii_case.hpp"
#include "fuzz_check.hpp"
#include "reports/report_parser.hpp"

using herald::reports::Report;

namespace {

constexpr std::size_t kMaxText = 64 * 1024;

// A value for a log line or an event: one line, no control characters.
void check_value(std::string_view value) {
    for (char c : value) FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
}

bool is_status_code(std::string_view s) {
    // class "." 1-3 digits "." 1-3 digits (RFC 3463 2)
    if (s.size() < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.') return false;
    const std::size_t dot = s.find('.', 2);
    if (dot == std::string_view::npos || dot == 2 || dot > 5) return false;
    const std::size_t detail = s.size() - dot - 1;
    if (detail == 0 || detail > 3) return false;
    for (std::size_t i = 2; i < s.size(); ++i) {
        if (i != dot && (s[i] < '0' || s[i] > '9')) return false;
    }
    return true;
}

void check_reply(const std::optional<std::string>& reply) {
    if (!reply) return;
    FUZZ_CHECK(reply->size() >= 3 && reply->size() <= 512);
    FUZZ_CHECK((*reply)[0] == '4' || (*reply)[0] == '5');
    FUZZ_CHECK(reply->size() == 3 || (*reply)[3] == ' ');
    check_value(*reply);
}

void check_report(const Report& report) {
    FUZZ_CHECK(report.text.size() <= kMaxText);
    FUZZ_CHECK(report.original_headers.size() <= 64 * 1024);
    FUZZ_CHECK(report.recipients.size() <= 10000);
    check_value(report.problem);
    switch (report.kind) {
        case Report::Kind::delivery_status:
            FUZZ_CHECK(!report.recipients.empty());
            FUZZ_CHECK(report.feedback.feedback_type.empty());
            break;
        case Report::Kind::feedback:
            FUZZ_CHECK(report.recipients.empty());
            FUZZ_CHECK(!report.feedback.feedback_type.empty());
            break;
        case Report::Kind::unknown:
            FUZZ_CHECK(report.recipients.empty());
            FUZZ_CHECK(report.feedback.feedback_type.empty());
            break;
    }
    for (const auto& r : report.recipients) {
        FUZZ_CHECK(!r.action.empty() || !r.status.empty());
        FUZZ_CHECK(r.action == herald::ascii_lowercase(r.action));
        FUZZ_CHECK(r.status.empty() || is_status_code(r.status));
        for (const auto* value : {&r.final_recipient, &r.original_recipient, &r.action, &r.status,
                                  &r.diagnostic, &r.remote_mta}) {
            check_value(*value);
        }
    }
    const auto& f = report.feedback;
    FUZZ_CHECK(f.feedback_type == herald::ascii_lowercase(f.feedback_type));
    for (const auto* value :
         {&f.feedback_type, &f.user_agent, &f.version, &f.original_mail_from, &f.original_rcpt_to,
          &f.source_ip, &f.arrival_date, &f.reported_domain}) {
        check_value(*value);
    }
    check_reply(herald::reports::find_reply_in_text(report.text));
}

void check_addresses(std::string_view text, std::string_view domain) {
    const auto addresses = herald::reports::addresses_at(text, domain);
    FUZZ_CHECK(addresses.size() <= 100);
    FUZZ_CHECK(std::set<std::string>(addresses.begin(), addresses.end()).size() ==
               addresses.size());
    for (const auto& address : addresses) {
        FUZZ_CHECK(address.size() > domain.size() + 1);
        const std::string_view tail =
            std::string_view(address).substr(address.size() - domain.size() - 1);
        FUZZ_CHECK(tail[0] == '@' && herald::equals_ignoring_case(tail.substr(1), domain));
        FUZZ_CHECK(address.find_first_of(" \t\r\n<>\"") == std::string::npos);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view message(reinterpret_cast<const char*>(data), size);
    const Report report = herald::reports::parse_report(message);
    check_report(report);
    check_reply(herald::reports::find_reply_in_text(message));
    check_addresses(message, "example.com");
    check_addresses(report.original_headers, "bounces.example.com");
    return 0;
}
