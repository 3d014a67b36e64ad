#include "tlsrpt/tls_report.hpp"

#include <fmt/chrono.h>
#include <fmt/core.h>
#include <zlib.h>

#include <boost/json.hpp>

#include <openssl/rand.h>

#include "base/hmac_sha256.hpp"
#include "base/timestamp.hpp"
#include "smtp/base64.hpp"

namespace herald::tlsrpt {

namespace json = boost::json;

namespace {

constexpr std::size_t kBase64Line = 76;  // RFC 2045 6.8

std::string random_hex(std::size_t bytes) {
    std::vector<unsigned char> random(bytes);
    RAND_bytes(random.data(), static_cast<int>(random.size()));
    return lower_hex(random.data(), random.size());
}

json::object policy_entry(const PolicyCounts& counts) {
    json::object policy{{"policy-type", counts.type}};
    if (!counts.strings.empty())
        policy["policy-string"] = json::array(counts.strings.begin(), counts.strings.end());
    if (!counts.mx_hosts.empty())
        policy["mx-host"] = json::array(counts.mx_hosts.begin(), counts.mx_hosts.end());
    json::object entry{{"policy", std::move(policy)},
                       {"summary",
                        {{"total-successful-session-count", counts.successes},
                         {"total-failure-session-count", counts.failure_total()}}}};
    json::array details;
    for (const auto& [kind, count] : counts.failures) {
        json::object detail{{"result-type", kind.result_type}};
        if (!kind.sending_ip.empty()) detail["sending-mta-ip"] = kind.sending_ip;
        if (!kind.receiving_mx.empty()) detail["receiving-mx-hostname"] = kind.receiving_mx;
        if (!kind.receiving_ip.empty()) detail["receiving-ip"] = kind.receiving_ip;
        detail["failed-session-count"] = count;
        details.push_back(std::move(detail));
    }
    if (!details.empty()) entry["failure-details"] = std::move(details);
    return entry;
}

std::string wrapped_base64(std::string_view bytes) {
    const std::string encoded = smtp::encode_base64(bytes);
    std::string out;
    for (std::size_t at = 0; at < encoded.size(); at += kBase64Line) {
        out += encoded.substr(at, kBase64Line) + "\r\n";
    }
    return out;
}

}  // namespace

std::string report_time(std::chrono::system_clock::time_point t) {
    return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                       std::chrono::time_point_cast<std::chrono::seconds>(t));
}

Report make_report(const ReportingOrganization& us, const ReportPeriod& period,
                   const std::string& domain, const std::vector<PolicyCounts>& policies) {
    Report report{
        .domain = domain,
        .id = report_time(period.start) + "_" + domain + "_" + random_hex(8) + "@" + us.submitter};
    json::array entries;
    for (const auto& counts : policies) entries.push_back(policy_entry(counts));
    json::object root{{"organization-name", us.name},
                      {"date-range",
                       {{"start-datetime", report_time(period.start)},
                        {"end-datetime", report_time(period.end)}}},
                      {"contact-info", us.contact},
                      {"report-id", report.id},
                      {"policies", std::move(entries)}};
    report.json = json::serialize(root);
    return report;
}

std::string gzip(std::string_view data) {
    z_stream stream{};
    // 15 + 16: a gzip header and trailer around the deflate stream.
    deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&stream, data.size()), '\0');
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    stream.avail_in = static_cast<uInt>(data.size());
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    deflate(&stream, Z_FINISH);
    out.resize(stream.total_out);
    deflateEnd(&stream);
    return out;
}

std::string report_file_name(const ReportingOrganization& us, const ReportPeriod& period,
                             const Report& report) {
    return fmt::format("{}!{}!{}!{}.json.gz", us.submitter, report.domain,
                       unix_seconds(period.start), unix_seconds(period.end));
}

std::string report_mail(const ReportingOrganization& us, const ReportPeriod& period,
                        const Report& report, std::string_view to,
                        std::chrono::system_clock::time_point now) {
    const std::string boundary = "tlsrpt-" + random_hex(12);
    std::string mail;
    mail += "From: <" + us.from + ">\r\n";
    mail += "To: <" + std::string(to) + ">\r\n";
    mail += "Subject: Report Domain: " + report.domain + " Submitter: " + us.submitter +
            " Report-ID: <" + report.id + ">\r\n";
    mail += "Date: " + rfc5322_date(now) + "\r\n";
    mail += "Message-ID: <" + random_hex(16) + "@" + us.submitter + ">\r\n";
    mail += "TLS-Report-Domain: " + report.domain + "\r\n";
    mail += "TLS-Report-Submitter: " + us.submitter + "\r\n";
    mail += "MIME-Version: 1.0\r\n";
    mail += "Content-Type: multipart/report; report-type=\"tlsrpt\";\r\n\tboundary=\"" + boundary +
            "\"\r\n\r\n";
    mail += "--" + boundary + "\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n";
    mail += "This is an aggregate TLS report from " + us.submitter + " for " + report.domain +
            ",\r\nfrom " + report_time(period.start) + " to " + report_time(period.end) +
            " (RFC 8460).\r\n\r\n";
    mail += "--" + boundary + "\r\n";
    mail += "Content-Type: application/tlsrpt+gzip\r\n";
    mail += "Content-Transfer-Encoding: base64\r\n";
    mail += "Content-Disposition: attachment;\r\n\tfilename=\"" +
            report_file_name(us, period, report) + "\"\r\n\r\n";
    mail += wrapped_base64(gzip(report.json));
    mail += "--" + boundary + "--\r\n";
    return mail;
}

}  // namespace herald::tlsrpt
