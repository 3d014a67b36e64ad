#include "admin/api_responses.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "admin_test_support.hpp"

namespace herald::admin {
namespace {

boost::json::value body_of(const HttpResponse& response) {
    boost::system::error_code ec;
    auto value = boost::json::parse(response.body, ec);
    EXPECT_FALSE(ec) << response.body;
    return value;
}

TEST(ActionResponse, OkIs200WithTheDetail) {
    auto response = action_response("ok held 0abc");
    EXPECT_EQ(response.status, 200u);
    auto body = body_of(response);
    EXPECT_EQ(body.at("ok").as_bool(), true);
    EXPECT_EQ(body.at("detail").as_string(), "held 0abc");
}

TEST(ActionResponse, AMissingMessageIs404) {
    auto response = action_response("error no message 0abc in the queue");
    EXPECT_EQ(response.status, 404u);
    EXPECT_EQ(body_of(response).at("error").as_string(), "no message 0abc in the queue");
}

TEST(ActionResponse, OtherErrorsAre500) {
    EXPECT_EQ(action_response("error write /x: No space left on device").status, 500u);
    EXPECT_EQ(action_response("").status, 500u);
}

TEST(TransportsResponse, ListsConfiguredTransportsWithTheirCounts) {
    std::vector<config::Transport> configured(3);
    configured[0].name = "mx";
    configured[1].name = "relay";
    configured[1].host = "smarthost.example";
    configured[1].port = 587;
    configured[2].name = "box";
    configured[2].type = config::Transport::Type::maildir;
    configured[2].path = "var/mail/{user}";
    Metrics metrics({"mx", "relay", "box"});
    metrics.observe(
        log::MainLogEvent{.kind = log::MainLogEvent::Kind::delivered, .transport = "relay"});
    queue::QueueCensusSnapshot census;
    census.transports["relay"] = {
        .messages = 3, .recipients = 4, .oldest_age = std::chrono::seconds(90)};
    auto body = body_of(transports_response(transport_infos(configured), metrics, census));
    ASSERT_EQ(body.as_array().size(), 3u);
    const auto& mx = body.as_array()[0].as_object();
    EXPECT_EQ(mx.at("type").as_string(), "smtp");
    EXPECT_EQ(mx.at("target").as_string(), "MX");
    const auto& relay = body.as_array()[1].as_object();
    EXPECT_EQ(relay.at("target").as_string(), "smarthost.example:587");
    EXPECT_EQ(relay.at("delivered").to_number<std::uint64_t>(), 1u);
    EXPECT_EQ(relay.at("failed").to_number<std::uint64_t>(), 0u);
    EXPECT_EQ(relay.at("queued_messages").to_number<std::uint64_t>(), 3u);
    EXPECT_EQ(relay.at("queued_recipients").to_number<std::uint64_t>(), 4u);
    EXPECT_EQ(relay.at("oldest_age_seconds").to_number<std::int64_t>(), 90);
    EXPECT_EQ(mx.at("queued_messages").to_number<std::uint64_t>(), 0u);
    EXPECT_EQ(body.as_array()[2].as_object().at("type").as_string(), "maildir");
}

TEST(QueueResponse, IsTheQueueArrayWithTheTotalsInHeaders) {
    TestSpool t;
    t.store("a@example.com", {"x@example.net"});
    t.store("b@example.com", {"x@example.net"});
    auto response = queue_response(read_queue(t.spool(), 1), std::chrono::system_clock::now());
    EXPECT_EQ(response.status, 200u);
    EXPECT_EQ(response.content_type, "application/json");
    EXPECT_EQ(body_of(response).as_array().size(), 1u);
    ASSERT_EQ(response.headers.size(), 2u);
    EXPECT_EQ(response.headers[0], (std::pair<std::string, std::string>{"X-Total-Count", "2"}));
    // Without a filter, every message matches.
    EXPECT_EQ(response.headers[1], (std::pair<std::string, std::string>{"X-Matching-Count", "2"}));
}

TEST(MetricsResponse, IsPrometheusText) {
    Metrics metrics;
    auto response = metrics_response(metrics);
    EXPECT_EQ(response.content_type, "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_NE(response.body.find("# TYPE herald_messages_received_total counter"),
              std::string::npos);
}

TEST(ConsoleResponse, ServesItsThreeFilesUnderAStrictPolicy) {
    for (auto [path, type] : {std::pair{"/", "text/html; charset=utf-8"},
                              std::pair{"/console.css", "text/css; charset=utf-8"},
                              std::pair{"/console.js", "text/javascript; charset=utf-8"}}) {
        auto response = console_response(path);
        EXPECT_EQ(response.status, 200u) << path;
        EXPECT_EQ(response.content_type, type) << path;
        // No external assets: nothing is loaded from another origin.
        EXPECT_EQ(response.body.find("src=\"http"), std::string::npos) << path;
        EXPECT_EQ(response.body.find("href=\"http"), std::string::npos) << path;
        // Queue data goes in as text only.
        EXPECT_EQ(response.body.find("innerHTML"), std::string::npos) << path;
        EXPECT_EQ(response.body.find("insertAdjacentHTML"), std::string::npos) << path;
        ASSERT_EQ(response.headers.size(), 2u) << path;
        EXPECT_EQ(response.headers[0].first, "Content-Security-Policy");
        // Scripts from the console's own file only: an injected inline script would not run.
        EXPECT_NE(response.headers[0].second.find("default-src 'none'"), std::string::npos);
        EXPECT_NE(response.headers[0].second.find("script-src 'self';"), std::string::npos);
        EXPECT_EQ(response.headers[0].second.find("unsafe-inline"), std::string::npos);
        EXPECT_EQ(response.headers[1],
                  (std::pair<std::string, std::string>{"X-Content-Type-Options", "nosniff"}));
    }
    EXPECT_TRUE(console_response("/").body.starts_with("<!DOCTYPE html>"));
    // The page is usable on a phone: it says how wide it is.
    EXPECT_NE(console_response("/").body.find("name=\"viewport\""), std::string::npos);
    EXPECT_EQ(console_response("/console.map").status, 404u);
}

TEST(CensusResponse, GivesTheTotalAndEachTransportAndDestination) {
    queue::QueueCensusSnapshot census;
    census.total = {.messages = 3, .recipients = 4, .oldest_age = std::chrono::seconds(90)};
    census.transports["mx"] = {
        .messages = 2, .recipients = 3, .oldest_age = std::chrono::seconds(90)};
    census.destinations["example.net"] = {
        .messages = 1, .recipients = 2, .oldest_age = std::chrono::seconds(30)};
    auto body = body_of(census_response(census));
    EXPECT_EQ(body.at("total").at("recipients").as_int64(), 4);
    const auto& transport = body.at("transports").as_array().at(0);
    EXPECT_EQ(transport.at("name").as_string(), "mx");
    EXPECT_EQ(transport.at("messages").as_int64(), 2);
    EXPECT_EQ(transport.at("oldest_age_seconds").as_int64(), 90);
    const auto& domain = body.at("destinations").as_array().at(0);
    EXPECT_EQ(domain.at("name").as_string(), "example.net");
    EXPECT_EQ(domain.at("recipients").as_int64(), 2);
}

TEST(HistoryResponse, GivesEachFlowPerMinuteFromTheStart) {
    MinuteHistory history;
    const auto now = std::chrono::system_clock::time_point(std::chrono::hours(24 * 20000));
    history.count(Flow::received, now);
    history.count(Flow::bounced, now - std::chrono::minutes(2));
    auto body = body_of(history_response(history.snapshot(now)));
    EXPECT_EQ(body.at("minute_seconds").as_int64(), 60);
    EXPECT_EQ(body.at("start").as_string(), "2024-10-03T18:01:00.000Z");
    for (auto name : kFlowNames) {
        EXPECT_EQ(body.at(name).as_array().size(), MinuteHistory::kMinutes) << name;
    }
    EXPECT_EQ(body.at("received").as_array().back().as_int64(), 1);
    const auto& bounced = body.at("bounced").as_array();
    EXPECT_EQ(bounced.at(MinuteHistory::kMinutes - 3).as_int64(), 1);
    EXPECT_EQ(body.at("delivered").as_array().back().as_int64(), 0);
}

TEST(RoutesResponse, ListsTheRoutesInOrder) {
    auto body = boost::json::parse(routes_response({{"*@a.example", "relay"}, {"*", "mx"}}).body);
    ASSERT_EQ(body.as_array().size(), 2u);
    EXPECT_EQ(body.as_array()[0].at("sender").as_string(), "*@a.example");
    EXPECT_EQ(body.as_array()[1].at("transport").as_string(), "mx");
}

TEST(JsonError, IsAnErrorObjectWithEscapedText) {
    auto response = json_error(400, "bad \"thing\"\n");
    EXPECT_EQ(response.status, 400u);
    EXPECT_EQ(body_of(response).at("error").as_string(), "bad \"thing\"\n");
}

}  // namespace
}  // namespace herald::admin
