#include "admin/report_endpoints.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace herald::admin {
namespace {

QueryString query(std::string_view text) {
    auto parsed = QueryString::parse(text);
    EXPECT_TRUE(parsed.has_value()) << text;
    return parsed.value_or(QueryString{});
}

TEST(QueryString, DecodesPercentEscapesAndPlus) {
    const auto q = query("sender=%2A%40brand.test&q=a+b&empty=&flag&q=second");
    EXPECT_EQ(q.get("sender"), "*@brand.test");
    EXPECT_EQ(q.get("q"), "a b");  // the first of two
    EXPECT_EQ(q.get("empty"), "");
    EXPECT_EQ(q.get("flag"), "");
    EXPECT_EQ(q.get("absent"), std::nullopt);
}

TEST(QueryString, RefusesMalformedEscapes) {
    for (std::string_view bad : {"a=%", "a=%4", "a=%zz", "%G0=1"}) {
        EXPECT_EQ(QueryString::parse(bad), std::nullopt) << bad;
    }
}

const std::chrono::system_clock::time_point kNow{std::chrono::hours(24 * 20000)};

TEST(ReportEndpoints, ReadsSummaryParameters) {
    auto request = summary_request(query("since=1h&sender=%3C%3E"), kNow);
    ASSERT_TRUE(std::holds_alternative<log::SummaryOptions>(request));
    const auto& options = std::get<log::SummaryOptions>(request);
    EXPECT_EQ(options.sender, "<>");
    EXPECT_EQ(options.since, "2024-10-03T23:00:00.000Z");
    for (std::string_view bad : {"since=yesterday", "sender=a%20b", "sender=**"}) {
        auto refused = summary_request(query(bad), kNow);
        ASSERT_TRUE(std::holds_alternative<HttpResponse>(refused)) << bad;
        EXPECT_EQ(std::get<HttpResponse>(refused).status, 400u) << bad;
    }
}

TEST(ReportEndpoints, ReadsTraceAndDoctorParameters) {
    EXPECT_TRUE(std::holds_alternative<log::TraceQuery>(trace_request(query("q=a%40b.test"))));
    EXPECT_TRUE(std::holds_alternative<HttpResponse>(trace_request(query(""))));
    auto doctor = doctor_request(query("domain=Brand.TEST&ip=192.0.2.1&rbl=a.test,b.test"));
    ASSERT_TRUE(std::holds_alternative<doctor::DoctorInput>(doctor));
    const auto& input = std::get<doctor::DoctorInput>(doctor);
    EXPECT_EQ(input.domain, "brand.test");
    EXPECT_EQ(input.ip_lists, (std::vector<std::string>{"a.test", "b.test"}));
    for (std::string_view bad : {"ip=192.0.2.1", "domain=x.test&ip=300.0.0.1",
                                 "domain=x.test&dbl=a%20b", "domain=x.test&selector=a%2Fb"}) {
        EXPECT_TRUE(std::holds_alternative<HttpResponse>(doctor_request(query(bad)))) << bad;
    }
}

TEST(ReportEndpoints, DoctorAnswerSaysWhetherAnythingFailed) {
    const auto response = doctor_response(
        {{doctor::Finding::Level::pass, "spf", "ok"}, {doctor::Finding::Level::fail, "mx", "no"}});
    const auto body = boost::json::parse(response.body).as_object();
    EXPECT_EQ(body.at("failed").as_bool(), true);
    EXPECT_EQ(body.at("findings").as_array().size(), 2u);
}

TEST(ReportEndpoints, NoLogsYetIsNotFound) {
    EXPECT_EQ(summary_response(log::SummaryScan{}, log::SummaryOptions{}).status, 404u);
    EXPECT_EQ(trace_response(log::TraceScan{}).status, 404u);
}

}  // namespace
}  // namespace herald::admin
