#include "tlsrpt/tlsrpt_record.hpp"

#include <gtest/gtest.h>

namespace herald::tlsrpt {
namespace {

using Kind = ReportDestination::Kind;

TEST(TlsRptRecord, ReadsTheRfcsExamples) {
    auto mail = find_report_destinations({"v=TLSRPTv1; rua=mailto:reports@example.com"});
    ASSERT_TRUE(mail) << mail.error();
    EXPECT_EQ(*mail, (std::vector<ReportDestination>{{Kind::mail, "reports@example.com"}}));
    auto both = find_report_destinations(
        {"v=TLSRPTv1;rua=mailto:a@example.com,https://reporting.example.com/v1/tlsrpt"});
    ASSERT_TRUE(both) << both.error();
    EXPECT_EQ(*both, (std::vector<ReportDestination>{
                         {Kind::mail, "a@example.com"},
                         {Kind::https, "https://reporting.example.com/v1/tlsrpt"}}));
}

TEST(TlsRptRecord, PassesOverOtherTextsAndSchemes) {
    auto found = find_report_destinations(
        {"v=spf1 -all", "v=TLSRPTv1; rua=http://plain.example/r, mailto:x@example.com?subject=r"});
    ASSERT_TRUE(found) << found.error();
    EXPECT_EQ(*found, (std::vector<ReportDestination>{{Kind::mail, "x@example.com"}}));
    // %2C is a comma inside one URI (RFC 8460 3).
    auto escaped = find_report_destinations({"v=TLSRPTv1; rua=https://r.example/a%2Cb"});
    ASSERT_TRUE(escaped) << escaped.error();
    EXPECT_EQ(escaped->front().where, "https://r.example/a,b");
}

TEST(TlsRptRecord, RefusesWhatTheRfcSaysIsNoRecord) {
    EXPECT_FALSE(find_report_destinations({}));
    EXPECT_FALSE(find_report_destinations({"v=TLSRPTv2; rua=mailto:a@example.com"}));
    EXPECT_FALSE(find_report_destinations({"v=TLSRPTv1x; rua=mailto:a@example.com"}));
    EXPECT_FALSE(find_report_destinations({"v=TLSRPTv1"}));
    EXPECT_FALSE(find_report_destinations({"v=TLSRPTv1; rua=http://only.plain/"}));
    EXPECT_FALSE(find_report_destinations({"v=TLSRPTv1; rua=mailto:no-at-sign"}));
    auto two = find_report_destinations(
        {"v=TLSRPTv1; rua=mailto:a@example.com", "v=TLSRPTv1; rua=mailto:b@example.com"});
    ASSERT_FALSE(two);
    EXPECT_EQ(two.error(), "more than one TLSRPT record");
}

}  // namespace
}  // namespace herald::tlsrpt
