#include "tlsrpt/tls_report.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <boost/json.hpp>

#include "message/header_block.hpp"

namespace herald::tlsrpt {
namespace {

namespace json = boost::json;
using namespace std::chrono;

const ReportingOrganization kUs{.name = "Example Org",
                                .contact = "tls@example.org",
                                .submitter = "mta.example.org",
                                .from = "noreply-tlsrpt@mta.example.org"};
const ReportPeriod kDay{sys_days{2026y / 12 / 3}, sys_days{2026y / 12 / 4}};

std::vector<PolicyCounts> counted() {
    TlsCounts counts;
    counts.add({.domain = "a.test",
                .policy = delivery::TlsSession::Policy::tlsa,
                .policy_strings = {"3 1 1 abcd"},
                .mx_hosts = {"mx.a.test"},
                .failure = delivery::TlsFailure::dnssec_invalid,
                .receiving_mx = "mx.a.test"});
    counts.add({.domain = "a.test",
                .policy = delivery::TlsSession::Policy::tlsa,
                .policy_strings = {"3 1 1 abcd"},
                .mx_hosts = {"mx.a.test"}});
    return counts.domains().at("a.test");
}

std::string gunzip(const std::string& data) {
    z_stream stream{};
    inflateInit2(&stream, 15 + 16);
    std::string out(65536, '\0');
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    stream.avail_in = static_cast<uInt>(data.size());
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(inflate(&stream, Z_FINISH), Z_STREAM_END);
    out.resize(stream.total_out);
    inflateEnd(&stream);
    return out;
}

TEST(TlsReport, IsTheRfcsJson) {
    const Report report = make_report(kUs, kDay, "a.test", counted());
    const json::value root = json::parse(report.json);
    EXPECT_EQ(root.at("organization-name"), "Example Org");
    EXPECT_EQ(root.at("contact-info"), "tls@example.org");
    EXPECT_EQ(std::string(root.at("report-id").as_string()), report.id);
    EXPECT_EQ(root.at("date-range").at("start-datetime"), "2026-12-03T00:00:00Z");
    EXPECT_EQ(root.at("date-range").at("end-datetime"), "2026-12-04T00:00:00Z");
    const auto& entry = root.at("policies").as_array().at(0);
    EXPECT_EQ(entry.at("policy").at("policy-type"), "tlsa");
    EXPECT_EQ(entry.at("policy").at("policy-string").as_array().at(0), "3 1 1 abcd");
    EXPECT_EQ(entry.at("summary").at("total-successful-session-count"), 1);
    EXPECT_EQ(entry.at("summary").at("total-failure-session-count"), 1);
    const auto& detail = entry.at("failure-details").as_array().at(0);
    EXPECT_EQ(detail.at("result-type"), "dnssec-invalid");
    EXPECT_EQ(detail.at("receiving-mx-hostname"), "mx.a.test");
    EXPECT_EQ(detail.at("failed-session-count"), 1);
    // No address was known: the fields are left out rather than empty.
    EXPECT_FALSE(detail.as_object().contains("sending-mta-ip"));
    // Each report its own id.
    EXPECT_NE(make_report(kUs, kDay, "a.test", counted()).id, report.id);
}

TEST(TlsReport, GzipRoundTrips) {
    const std::string text(10000, 'x');
    const std::string packed = gzip(text);
    EXPECT_LT(packed.size(), text.size());
    EXPECT_EQ(packed.substr(0, 2), "\x1f\x8b");
    EXPECT_EQ(gunzip(packed), text);
}

TEST(TlsReport, MailIsAMultipartReportWithTheGzipAttached) {
    const Report report = make_report(kUs, kDay, "a.test", counted());
    const std::string mail =
        report_mail(kUs, kDay, report, "tlsrpt@a.test", system_clock::time_point{});
    const auto header = message::HeaderBlock::parse(mail);
    ASSERT_NE(header.find("TLS-Report-Domain"), nullptr);
    EXPECT_EQ(header.find("TLS-Report-Domain")->value, "a.test");
    EXPECT_EQ(header.find("TLS-Report-Submitter")->value, "mta.example.org");
    EXPECT_EQ(header.find("Subject")->value,
              "Report Domain: a.test Submitter: mta.example.org Report-ID: <" + report.id + ">");
    EXPECT_NE(mail.find("report-type=\"tlsrpt\""), std::string::npos);
    EXPECT_NE(mail.find("Content-Type: application/tlsrpt+gzip"), std::string::npos);
    EXPECT_NE(mail.find("filename=\"mta.example.org!a.test!1796256000!1796342400.json.gz\""),
              std::string::npos);
    for (std::size_t at = 0, end; (end = mail.find("\r\n", at)) != std::string::npos;
         at = end + 2) {
        EXPECT_LE(end - at, 998u);
    }
}

}  // namespace
}  // namespace herald::tlsrpt
