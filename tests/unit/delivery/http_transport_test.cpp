#include "delivery/transports/http.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <filesystem>

#include "receiver_process.hpp"
#include "transport_test_support.hpp"

namespace herald::delivery {
namespace {

using testing::envelope_from;
using testing::free_port;
using testing::read_file;
using testing::Receiver;
using testing::run_delivery;
using testing::TempDir;
using Outcome = RecipientResult::Outcome;
using Clock = std::chrono::steady_clock;

const std::string kFixture = HERALD_SOURCE_DIR "/tests/unit/delivery/fixtures/http_receiver.py";

constexpr std::string_view kMessage =
    "From: a@sender.example\r\nSubject: test\r\n\r\n.a line that starts with a dot\r\nend\r\n";

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

// http_receiver.py recording into dir/out.
std::unique_ptr<Receiver> receiver(const TempDir& dir, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{"/usr/bin/python3", kFixture, "--out", (dir / "out").string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return std::make_unique<Receiver>(argv, true);
}

// One request as the receiver recorded it.
struct Recorded {
    boost::json::object meta;
    std::string body;

    std::vector<std::string> header(std::string_view name) const {
        std::vector<std::string> values;
        for (const auto& pair : meta.at("headers").as_array()) {
            const auto& p = pair.as_array();
            if (p.at(0).as_string() == name) values.emplace_back(p.at(1).as_string());
        }
        return values;
    }
};

std::vector<Recorded> recorded(const TempDir& dir) {
    std::vector<Recorded> all;
    for (int n = 1;; ++n) {
        const auto meta = dir / ("out/" + std::to_string(n) + ".json");
        if (!std::filesystem::exists(meta)) break;
        all.push_back({boost::json::parse(read_file(meta)).as_object(),
                       read_file(dir / ("out/" + std::to_string(n) + ".body"))});
    }
    return all;
}

config::Transport api(const std::string& url, std::string format = "rfc822") {
    config::Transport t;
    t.name = "api";
    t.type = config::Transport::Type::http;
    t.url = url;
    t.format = std::move(format);
    return t;
}

std::string local_url(std::uint16_t port, const std::string& path = "/mail") {
    return "http://127.0.0.1:" + std::to_string(port) + path;
}

HttpTransportOptions quick() {
    HttpTransportOptions options;
    options.timeouts = {std::chrono::seconds(2), std::chrono::seconds(2)};
    return options;
}

RecipientResult deliver_one(const config::Transport& t, HttpTransportOptions options = quick(),
                            std::string_view message = kMessage) {
    HttpTransport transport(t, std::move(options));
    auto envelope = envelope_from("a@sender.example", {});
    auto results = run_delivery(transport, {"id1", envelope, {"b@x.example"}, message});
    EXPECT_EQ(results.size(), 1u);
    return results.empty() ? RecipientResult{} : results[0];
}

// The answer of a receiver started with `args`, to one message.
RecipientResult answer_of(std::vector<std::string> args) {
    TempDir dir;
    auto r = receiver(dir, std::move(args));
    if (!r->ready()) return {"", Outcome::deferred, "receiver did not start", ""};
    return deliver_one(api(local_url(r->port())));
}

TEST(HttpTransport, PostsTheRawMessageWithTheEnvelopeInHeaders) {
    TempDir dir;
    auto r = receiver(dir);
    ASSERT_TRUE(r->ready());
    HttpTransport transport(api(local_url(r->port(), "/mail?key=1")), quick());
    auto envelope = envelope_from("a@sender.example", {});
    std::vector<std::string> recipients{"b@x.example", "c@y.example"};
    auto results = run_delivery(transport, {"1abcDE-000001-XY", envelope, recipients, kMessage});
    ASSERT_EQ(results.size(), 2u);
    for (const auto& result : results) {
        EXPECT_EQ(result.outcome, Outcome::delivered) << result.detail;
        EXPECT_EQ(result.detail, "HTTP 200 OK: queued");
        EXPECT_EQ(result.remote_host, "127.0.0.1:" + std::to_string(r->port()));
    }
    EXPECT_EQ(results[1].recipient, "c@y.example");
    const auto requests = recorded(dir);
    ASSERT_EQ(requests.size(), 1u);
    const Recorded& request = requests[0];
    EXPECT_EQ(request.meta.at("method").as_string(), "POST");
    EXPECT_EQ(request.meta.at("path").as_string(), "/mail?key=1");
    EXPECT_EQ(request.body, kMessage);
    EXPECT_EQ(request.header("Content-Type"), std::vector<std::string>{"message/rfc822"});
    EXPECT_EQ(request.header("Host"),
              std::vector<std::string>{"127.0.0.1:" + std::to_string(r->port())});
    EXPECT_EQ(request.header("X-Herald-Mail-From"), std::vector<std::string>{"a@sender.example"});
    EXPECT_EQ(request.header("X-Herald-Rcpt-To"), recipients);
    EXPECT_EQ(request.header("X-Herald-Message-Id"), std::vector<std::string>{"1abcDE-000001-XY"});
}

TEST(HttpTransport, SendsTheNullSenderAndUtf8AddressesAsTheyAre) {
    TempDir dir;
    auto r = receiver(dir);
    ASSERT_TRUE(r->ready());
    HttpTransport transport(api(local_url(r->port())), quick());
    auto envelope = envelope_from("", {});
    auto results = run_delivery(transport, {"id1", envelope, {"jösé@bücher.example"}, kMessage});
    EXPECT_EQ(results.at(0).outcome, Outcome::delivered) << results[0].detail;
    const auto requests = recorded(dir);
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].header("X-Herald-Mail-From"), std::vector<std::string>{""});
    EXPECT_EQ(requests[0].header("X-Herald-Rcpt-To"),
              std::vector<std::string>{"jösé@bücher.example"});
}

TEST(HttpTransport, PostsJsonWithTheEnvelopeAndTheMessage) {
    TempDir dir;
    auto r = receiver(dir);
    ASSERT_TRUE(r->ready());
    HttpTransport transport(api(local_url(r->port()), "json"), quick());
    auto envelope = envelope_from("a@sender.example", {});
    auto results =
        run_delivery(transport, {"id1", envelope, {"b@x.example", "c@y.example"}, kMessage});
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[0].outcome, Outcome::delivered) << results[0].detail;
    const auto requests = recorded(dir);
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].header("Content-Type"), std::vector<std::string>{"application/json"});
    EXPECT_TRUE(requests[0].header("X-Herald-Rcpt-To").empty());
    EXPECT_EQ(requests[0].body,
              R"({"mail_from":"a@sender.example","rcpt_to":["b@x.example","c@y.example"],)"
              R"("message_id":"id1","message":"From: a@sender.example\r\nSubject: test\r\n\r\n)"
              R"(.a line that starts with a dot\r\nend\r\n"})");
}

TEST(HttpTransport, SendsAMessageThatIsNotUtf8AsBase64InJson) {
    TempDir dir;
    auto r = receiver(dir);
    ASSERT_TRUE(r->ready());
    const std::string latin1 = "Subject: caf\xe9\r\n\r\n\xff\r\n";
    auto result = deliver_one(api(local_url(r->port()), "json"), quick(), latin1);
    EXPECT_EQ(result.outcome, Outcome::delivered) << result.detail;
    const auto requests = recorded(dir);
    ASSERT_EQ(requests.size(), 1u);
    const auto json = boost::json::parse(requests[0].body).as_object();
    EXPECT_FALSE(json.contains("message"));
    EXPECT_EQ(json.at("message_base64").as_string(), "U3ViamVjdDogY2Fm6Q0KDQr/DQo=");
}

TEST(HttpTransport, CountsEvery2xxAsDelivered) {
    auto result = answer_of({"--status", "202", "--body", ""});
    EXPECT_EQ(result.outcome, Outcome::delivered) << result.detail;
    EXPECT_EQ(result.detail, "HTTP 202 Accepted");
}

TEST(HttpTransport, DefersOnTooManyRequestsAndServerErrors) {
    for (const char* status : {"429", "503", "500", "408"}) {
        auto result = answer_of({"--status", status, "--body", "try later"});
        EXPECT_EQ(result.outcome, Outcome::deferred) << status << ": " << result.detail;
        EXPECT_TRUE(result.detail.starts_with(std::string("HTTP ") + status)) << result.detail;
        EXPECT_TRUE(result.detail.ends_with(": try later")) << result.detail;
    }
}

TEST(HttpTransport, FailsOnOtherClientErrorsAndRedirects) {
    for (const char* status : {"400", "404", "301"}) {
        auto result = answer_of({"--status", status, "--body", "no"});
        EXPECT_EQ(result.outcome, Outcome::failed) << status << ": " << result.detail;
        EXPECT_TRUE(result.detail.starts_with(std::string("HTTP ") + status)) << result.detail;
    }
}

TEST(HttpTransport, KeepsOnlyAShortPrintableExcerptOfTheBody) {
    std::string body = "bad\x01\x1b[31m\r\n  request\t";
    body += std::string(1000, 'x');
    auto result = answer_of({"--status", "400", "--reason", "Bad\tRequest", "--body", body});
    EXPECT_EQ(result.outcome, Outcome::failed);
    EXPECT_TRUE(result.detail.starts_with("HTTP 400 Bad Request: bad [31m request xxx"))
        << result.detail;
    EXPECT_LE(result.detail.size(), 300u);
    for (char c : result.detail) EXPECT_TRUE(c >= ' ' && c < 0x7f) << int(c);
}

TEST(HttpTransport, DefersWhenNothingListens) {
    auto result = deliver_one(api(local_url(free_port())));
    EXPECT_EQ(result.outcome, Outcome::deferred);
    EXPECT_TRUE(contains(result.detail, "connect to 127.0.0.1:")) << result.detail;
    EXPECT_TRUE(contains(result.detail, "refused")) << result.detail;
}

TEST(HttpTransport, DefersWhenTheServerNeverAnswers) {
    const auto start = Clock::now();
    auto result = answer_of({"--mode", "silent"});
    EXPECT_EQ(result.outcome, Outcome::deferred);
    EXPECT_TRUE(contains(result.detail, "no HTTP response from 127.0.0.1:")) << result.detail;
    EXPECT_TRUE(contains(result.detail, "timed out")) << result.detail;
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
}

TEST(HttpTransport, DefersWhenTheHeaderNeverEnds) {
    const auto start = Clock::now();
    auto result = answer_of({"--mode", "trickle"});
    EXPECT_EQ(result.outcome, Outcome::deferred);
    EXPECT_TRUE(contains(result.detail, "timed out")) << result.detail;
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
}

TEST(HttpTransport, DefersWhenTheServerClosesWithoutAnswering) {
    auto result = answer_of({"--mode", "close"});
    EXPECT_EQ(result.outcome, Outcome::deferred);
    EXPECT_TRUE(contains(result.detail, "closed by the server")) << result.detail;
}

TEST(HttpTransport, DefersOnGarbage) {
    auto result = answer_of({"--mode", "garbage"});
    EXPECT_EQ(result.outcome, Outcome::deferred);
    EXPECT_TRUE(contains(result.detail, "bad HTTP response")) << result.detail;
}

TEST(HttpTransport, DefersWhenTheResponseStopsInTheHeader) {
    auto result = answer_of({"--mode", "cut-header"});
    EXPECT_EQ(result.outcome, Outcome::deferred);
    EXPECT_TRUE(contains(result.detail, "no HTTP response")) << result.detail;
}

TEST(HttpTransport, DefersOnAnOversizedHeader) {
    auto result = answer_of({"--mode", "huge-header"});
    EXPECT_EQ(result.outcome, Outcome::deferred);
    EXPECT_TRUE(contains(result.detail, "bad HTTP response")) << result.detail;
}

// The status line is the server's decision; the body is only commentary.
TEST(HttpTransport, TakesTheStatusOfAResponseWhoseBodyIsCutShort) {
    auto result = answer_of({"--mode", "cut-body"});
    EXPECT_EQ(result.outcome, Outcome::delivered);
    EXPECT_EQ(result.detail, "HTTP 200 OK: partial (response cut short)");
}

TEST(HttpTransport, StopsReadingAnOversizedBody) {
    auto result = answer_of({"--mode", "huge-body"});
    EXPECT_EQ(result.outcome, Outcome::delivered);
    EXPECT_EQ(result.detail, "HTTP 200 OK (response cut short)");
}

TEST(HttpTransport, SkipsInterimResponses) {
    auto result = answer_of({"--mode", "interim"});
    EXPECT_EQ(result.outcome, Outcome::delivered);
    EXPECT_EQ(result.detail, "HTTP 200 OK: queued");
}

TEST(HttpTransport, VerifiesTheServerCertificateOverHttps) {
    TempDir dir;
    auto r = receiver(dir, {"--tls", dir.path().string()});
    ASSERT_TRUE(r->ready());
    HttpTransportOptions options = quick();
    options.ca_file = dir / "cert.pem";
    auto result =
        deliver_one(api("https://127.0.0.1:" + std::to_string(r->port()) + "/mail"), options);
    EXPECT_EQ(result.outcome, Outcome::delivered) << result.detail;
    const auto requests = recorded(dir);
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_TRUE(requests[0].meta.at("tls").as_bool());
    EXPECT_EQ(requests[0].body, kMessage);
}

TEST(HttpTransport, VerifiesTheNameOverHttps) {
    TempDir dir;
    // A certificate the test trusts, for another name than the url's.
    auto r = receiver(dir, {"--tls", dir.path().string(), "--tls-names", "DNS:api.example"});
    ASSERT_TRUE(r->ready());
    HttpTransportOptions options = quick();
    options.ca_file = dir / "cert.pem";
    auto result = deliver_one(api("https://127.0.0.1:" + std::to_string(r->port())), options);
    EXPECT_EQ(result.outcome, Outcome::deferred);
    EXPECT_TRUE(contains(result.detail, "certificate verification failed")) << result.detail;
    EXPECT_TRUE(recorded(dir).empty());
}

TEST(HttpTransport, DefersWhenTheCertificateIsNotTrusted) {
    TempDir dir;
    auto r = receiver(dir, {"--tls", dir.path().string()});
    ASSERT_TRUE(r->ready());
    auto result = deliver_one(api("https://127.0.0.1:" + std::to_string(r->port()) + "/mail"));
    EXPECT_EQ(result.outcome, Outcome::deferred);
    EXPECT_TRUE(contains(result.detail, "certificate verification failed")) << result.detail;
    EXPECT_TRUE(recorded(dir).empty());
}

TEST(HttpTransport, DefersWhenTheCaFileCannotBeRead) {
    HttpTransportOptions options = quick();
    options.ca_file = "/nonexistent/herald/ca.pem";
    auto result = deliver_one(api("https://127.0.0.1:" + std::to_string(free_port())), options);
    EXPECT_EQ(result.outcome, Outcome::deferred);
    EXPECT_TRUE(result.detail.starts_with("transport api: cannot load the trusted certificates"))
        << result.detail;
}

TEST(HttpTransport, ResolvesAHostNameThroughTheSystemResolver) {
    TempDir dir;
    auto r = receiver(dir);
    ASSERT_TRUE(r->ready());
    auto result = deliver_one(api("http://localhost:" + std::to_string(r->port()) + "/"));
    EXPECT_EQ(result.outcome, Outcome::delivered) << result.detail;
    EXPECT_EQ(result.remote_host, "localhost:" + std::to_string(r->port()));
    const auto requests = recorded(dir);
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].header("Host"),
              std::vector<std::string>{"localhost:" + std::to_string(r->port())});
}

TEST(HttpTransport, DefersWhenTheUrlIsUnusable) {
    auto result = deliver_one(api("http://user:secret@127.0.0.1/"));
    EXPECT_EQ(result.outcome, Outcome::deferred);
    EXPECT_EQ(result.detail, "transport api: the url must not hold a user name or password");
    EXPECT_EQ(result.remote_host, "");
}

TEST(HttpTransport, FailsAnAddressThatWouldInjectAHeader) {
    TempDir dir;
    auto r = receiver(dir);
    ASSERT_TRUE(r->ready());
    HttpTransport transport(api(local_url(r->port())), quick());
    auto envelope = envelope_from("a@sender.example", {});
    auto results =
        run_delivery(transport, {"id1", envelope, {"b@x.example\r\nX-Evil: 1"}, kMessage});
    EXPECT_EQ(results.at(0).outcome, Outcome::failed);
    EXPECT_TRUE(recorded(dir).empty());
}

TEST(HttpTransport, ConnectsFromTheSourceAddress) {
    TempDir dir;
    auto r = receiver(dir);
    ASSERT_TRUE(r->ready());
    config::Transport t = api(local_url(r->port()));
    t.source_address = "127.0.0.1";
    EXPECT_EQ(deliver_one(t).outcome, Outcome::delivered);
    t.source_address = "::1";
    auto result = deliver_one(t);
    EXPECT_EQ(result.outcome, Outcome::deferred);
    EXPECT_TRUE(contains(result.detail, "source address ::1 cannot reach 127.0.0.1"))
        << result.detail;
    EXPECT_EQ(recorded(dir).size(), 1u);
}

// Deliveries started together on one event loop, as the queue makes them.
std::vector<std::vector<RecipientResult>> run_together(Transport& transport, std::size_t count) {
    boost::asio::io_context io;
    auto envelope = envelope_from("a@sender.example", {});
    const Delivery delivery{"id", envelope, {"b@x.example"}, kMessage};
    std::vector<std::vector<RecipientResult>> all(count);
    for (auto& results : all) {
        boost::asio::co_spawn(
            io,
            [&]() -> boost::asio::awaitable<void> {
                results = co_await transport.deliver(delivery);
            },
            boost::asio::detached);
    }
    io.run();
    return all;
}

std::int64_t most_in_flight(const TempDir& dir) {
    std::int64_t most = 0;
    for (const auto& request : recorded(dir)) {
        most = std::max(most, request.meta.at("in_flight").as_int64());
    }
    return most;
}

TEST(HttpTransport, KeepsToMaxConnections) {
    for (std::size_t limit : {1u, 2u}) {
        TempDir dir;
        auto r = receiver(dir, {"--delay", "0.3"});
        ASSERT_TRUE(r->ready());
        config::Transport t = api(local_url(r->port()));
        t.max_connections = limit;
        HttpTransport transport(t, quick());
        for (const auto& results : run_together(transport, 3)) {
            ASSERT_EQ(results.size(), 1u);
            EXPECT_EQ(results[0].outcome, Outcome::delivered) << results[0].detail;
        }
        EXPECT_EQ(recorded(dir).size(), 3u);
        EXPECT_EQ(most_in_flight(dir), static_cast<std::int64_t>(limit));
    }
}

}  // namespace
}  // namespace herald::delivery
