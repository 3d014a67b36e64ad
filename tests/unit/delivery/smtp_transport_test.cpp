#include "delivery/transports/smtp.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <optional>
#include <thread>

#include "fake_resolver.hpp"
#include "receiver_process.hpp"
#include "transport_test_support.hpp"

namespace herald::delivery {
namespace {

using testing::envelope_from;
using testing::FakeResolver;
using testing::free_port;
using testing::read_file;
using testing::Receiver;
using testing::run_delivery;
using testing::TempDir;
using Outcome = RecipientResult::Outcome;

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

const std::string kFixture = HERALD_SOURCE_DIR "/tests/unit/delivery/fixtures/smtp_receiver.py";

bool have(const char* path) {
    return ::access(path, X_OK) == 0;
}

// aiosmtpd with the fixture's handler: messages land in dir/out, one JSON line each.
std::unique_ptr<Receiver> aiosmtpd(const TempDir& dir, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{"/usr/bin/python3", kFixture, "--out", (dir / "out").string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return std::make_unique<Receiver>(argv, true);
}

config::Transport smarthost(std::uint16_t port) {
    config::Transport t;
    t.name = "relay";
    t.type = config::Transport::Type::smtp;
    t.host = "127.0.0.1";
    t.port = port;
    return t;
}

SmtpTransportOptions quick(std::vector<std::string>* log = nullptr) {
    SmtpTransportOptions options;
    const std::chrono::seconds s(10);
    options.timeouts = {s, s, s, s, s, s, s, s, s};
    // Each run_delivery() has its own event loop: a connection must not outlive it.
    options.reuse.max_messages = 0;
    if (log) options.log = [log](const std::string& line) { log->push_back(line); };
    return options;
}

constexpr std::string_view kMessage =
    "From: a@sender.example\r\nSubject: test\r\n\r\n.a line that starts with a dot\r\n.\r\nend\r\n";

TEST(SmtpTransport, DeliversThroughASmarthostWithPerRecipientResults) {
    TempDir dir;
    auto receiver = aiosmtpd(dir);
    if (!receiver->ready()) GTEST_SKIP() << "aiosmtpd did not start";
    FakeResolver dns;
    SmtpTransport transport(smarthost(receiver->port()), dns, "herald.test", quick());
    auto envelope = envelope_from("a@sender.example", {});
    std::vector<std::string> recipients{"ok@x.example", "reject@x.example", "later@y.example"};
    auto results = run_delivery(transport, {"id1", envelope, recipients, kMessage});
    ASSERT_EQ(results.size(), 3u);
    EXPECT_EQ(results[0].recipient, "ok@x.example");
    EXPECT_EQ(results[0].outcome, Outcome::delivered);
    EXPECT_EQ(results[0].detail, "250 2.0.0 Ok: queued");
    EXPECT_EQ(results[0].remote_host, "127.0.0.1 [127.0.0.1]");
    EXPECT_EQ(results[1].outcome, Outcome::failed);
    EXPECT_EQ(results[1].detail, "550 5.1.1 No such user");
    EXPECT_EQ(results[2].outcome, Outcome::deferred);
    EXPECT_EQ(results[2].detail, "450 4.2.1 Mailbox busy, try later");
    const std::string out = read_file(dir / "out");
    // One transaction for all recipients of the smarthost, the dots arriving unchanged.
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1);
    EXPECT_TRUE(contains(out, R"("data": "From: a@sender.example\r\nSubject: test\r\n\r\n.a line)"))
        << out;
    EXPECT_TRUE(contains(out, R"(\r\n.\r\nend\r\n")")) << out;
    EXPECT_TRUE(contains(out, R"("helo": "herald.test")")) << out;
    EXPECT_TRUE(dns.queries.empty());
}

TEST(SmtpTransport, StartsTlsVerifiesTheCertificateAndAuthenticates) {
    TempDir dir;
    auto receiver = aiosmtpd(dir, {"--starttls", dir.path().string(), "--auth", "alice:s3cret"});
    if (!receiver->ready()) GTEST_SKIP() << "aiosmtpd did not start";
    std::ofstream(dir / "pass") << "s3cret\n";
    config::Transport t = smarthost(receiver->port());
    t.tls = config::Transport::TlsMode::required;
    t.auth_user = "alice";
    t.auth_password_file = dir / "pass";
    t.helo = "relay-client.test";
    std::vector<std::string> log;
    SmtpTransportOptions options = quick(&log);
    options.ca_file = dir / "cert.pem";
    BlockingPool pool(1);
    options.pool = &pool;
    FakeResolver dns;
    SmtpTransport transport(t, dns, "herald.test", options);
    auto envelope = envelope_from("a@sender.example", {});
    auto results = run_delivery(transport, {"id1", envelope, {"b@x.example"}, kMessage});
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].outcome, Outcome::delivered) << results[0].detail;
    const std::string out = read_file(dir / "out");
    EXPECT_TRUE(contains(out, R"("tls": true)")) << out;
    EXPECT_TRUE(contains(out, R"("auth": "alice")")) << out;
    EXPECT_TRUE(contains(out, R"("helo": "relay-client.test")")) << out;
    ASSERT_FALSE(log.empty());
    EXPECT_TRUE(contains(log.back(), "certificate verified")) << log.back();
    for (const auto& line : log) EXPECT_FALSE(contains(line, "s3cret"));
}

TEST(SmtpTransport, DefersWhenTheSmarthostRefusesThePassword) {
    TempDir dir;
    auto receiver = aiosmtpd(dir, {"--starttls", dir.path().string(), "--auth", "alice:s3cret"});
    if (!receiver->ready()) GTEST_SKIP() << "aiosmtpd did not start";
    std::ofstream(dir / "pass") << "wrong\n";
    config::Transport t = smarthost(receiver->port());
    t.auth_user = "alice";
    t.auth_password_file = dir / "pass";
    FakeResolver dns;
    SmtpTransport transport(t, dns, "herald.test", quick());
    auto envelope = envelope_from("a@sender.example", {});
    auto results = run_delivery(transport, {"id1", envelope, {"b@x.example"}, kMessage});
    EXPECT_EQ(results.at(0).outcome, Outcome::deferred);
    EXPECT_TRUE(contains(results[0].detail, "authentication failed: 535")) << results[0].detail;
    EXPECT_FALSE(contains(results[0].detail, "wrong"));
}

TEST(SmtpTransport, AcceptsAnUnverifiedCertificateWhenTlsIsOpportunistic) {
    TempDir dir;
    auto receiver = aiosmtpd(dir, {"--starttls", dir.path().string()});
    if (!receiver->ready()) GTEST_SKIP() << "aiosmtpd did not start";
    std::vector<std::string> log;
    FakeResolver dns;
    SmtpTransport transport(smarthost(receiver->port()), dns, "herald.test", quick(&log));
    auto envelope = envelope_from("a@sender.example", {});
    auto results = run_delivery(transport, {"id1", envelope, {"b@x.example"}, kMessage});
    EXPECT_EQ(results.at(0).outcome, Outcome::delivered) << results[0].detail;
    EXPECT_TRUE(contains(read_file(dir / "out"), R"("tls": true)"));
    ASSERT_FALSE(log.empty());
    EXPECT_TRUE(contains(log.back(), "certificate not verified")) << log.back();
}

TEST(SmtpTransport, DefersWhenTheRequiredCertificateIsNotTrusted) {
    TempDir dir;
    auto receiver = aiosmtpd(dir, {"--starttls", dir.path().string()});
    if (!receiver->ready()) GTEST_SKIP() << "aiosmtpd did not start";
    config::Transport t = smarthost(receiver->port());
    t.tls = config::Transport::TlsMode::required;
    FakeResolver dns;
    SmtpTransport transport(t, dns, "herald.test", quick());
    auto envelope = envelope_from("a@sender.example", {});
    auto results = run_delivery(transport, {"id1", envelope, {"b@x.example"}, kMessage});
    EXPECT_EQ(results.at(0).outcome, Outcome::deferred);
    EXPECT_TRUE(contains(results[0].detail, "certificate verification failed"))
        << results[0].detail;
    EXPECT_FALSE(std::filesystem::exists(dir / "out"));
}

TEST(SmtpTransport, DefersWhenTlsIsRequiredAndTheServerOffersNone) {
    TempDir dir;
    auto receiver = aiosmtpd(dir);
    if (!receiver->ready()) GTEST_SKIP() << "aiosmtpd did not start";
    config::Transport t = smarthost(receiver->port());
    t.tls = config::Transport::TlsMode::required;
    FakeResolver dns;
    SmtpTransport transport(t, dns, "herald.test", quick());
    auto envelope = envelope_from("a@sender.example", {});
    auto results = run_delivery(transport, {"id1", envelope, {"b@x.example"}, kMessage});
    EXPECT_EQ(results.at(0).outcome, Outcome::deferred);
    EXPECT_EQ(results[0].detail, "TLS is required but the server does not offer STARTTLS");
}

TEST(SmtpTransport, TriesTheNextMxWhenTheFirstRefusesTheConnection) {
    TempDir dir;
    auto receiver = aiosmtpd(dir);
    if (!receiver->ready()) GTEST_SKIP() << "aiosmtpd did not start";
    FakeResolver dns;
    dns.add_mx("x.example", {{10, "dead.x.example"}, {20, "live.x.example"}});
    dns.add_a("dead.x.example", {"127.0.0.2"});  // loopback, nothing listens there
    dns.add_a("live.x.example", {"127.0.0.1"});
    config::Transport t = smarthost(receiver->port());
    t.host = "";
    SmtpTransport transport(t, dns, "herald.test", quick());
    auto envelope = envelope_from("a@sender.example", {});
    auto results = run_delivery(transport, {"id1", envelope, {"b@x.example"}, kMessage});
    EXPECT_EQ(results.at(0).outcome, Outcome::delivered) << results[0].detail;
    EXPECT_EQ(results[0].remote_host, "live.x.example [127.0.0.1]");
}

TEST(SmtpTransport, OpensOneTransactionPerRecipientDomain) {
    TempDir dir;
    auto receiver = aiosmtpd(dir);
    if (!receiver->ready()) GTEST_SKIP() << "aiosmtpd did not start";
    FakeResolver dns;
    dns.add_nodata("x.example");
    dns.add_a("x.example", {"127.0.0.1"});
    dns.add_nodata("y.example");
    dns.add_a("y.example", {"127.0.0.1"});
    config::Transport t = smarthost(receiver->port());
    t.host = "";
    SmtpTransport transport(t, dns, "herald.test", quick());
    auto envelope = envelope_from("a@sender.example", {});
    std::vector<std::string> recipients{"a@x.example", "b@y.example", "c@X.example",
                                        "d@nowhere.example"};
    auto results = run_delivery(transport, {"id1", envelope, recipients, kMessage});
    ASSERT_EQ(results.size(), 4u);
    EXPECT_EQ(results[0].outcome, Outcome::delivered);
    EXPECT_EQ(results[1].outcome, Outcome::delivered);
    EXPECT_EQ(results[2].outcome, Outcome::delivered);
    EXPECT_EQ(results[3].outcome, Outcome::failed);
    EXPECT_EQ(results[3].detail, "550 5.1.2 Domain nowhere.example does not exist");
    const std::string out = read_file(dir / "out");
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2);
    EXPECT_TRUE(contains(out, R"("rcpt_tos": ["a@x.example", "c@X.example"])")) << out;
}

TEST(SmtpTransport, DefersWhenNothingListens) {
    FakeResolver dns;
    std::vector<std::string> log;
    SmtpTransport transport(smarthost(free_port()), dns, "herald.test", quick(&log));
    auto envelope = envelope_from("a@sender.example", {});
    auto results = run_delivery(transport, {"id1", envelope, {"b@x.example"}, kMessage});
    EXPECT_EQ(results.at(0).outcome, Outcome::deferred);
    EXPECT_TRUE(contains(results[0].detail, "connect to 127.0.0.1 [127.0.0.1]:"))
        << results[0].detail;
    EXPECT_TRUE(contains(results[0].detail, "refused")) << results[0].detail;
    ASSERT_EQ(log.size(), 2u);
    EXPECT_TRUE(contains(log[1], "destination 127.0.0.1 unreachable; its mail waits 60 s"))
        << log[1];
}

TEST(SmtpTransport, HoldsMailForAnUnreachableDestinationUntilTheBackoffEnds) {
    FakeResolver dns;
    std::vector<std::string> log;
    SmtpTransport transport(smarthost(free_port()), dns, "herald.test", quick(&log));
    auto envelope = envelope_from("a@sender.example", {});
    const Delivery delivery{"id1", envelope, {"b@x.example"}, kMessage};
    run_delivery(transport, delivery);
    const std::size_t lines = log.size();

    auto held = run_delivery(transport, delivery);
    EXPECT_EQ(held.at(0).outcome, Outcome::deferred);
    EXPECT_TRUE(contains(held[0].detail, "4.4.1 127.0.0.1 was unreachable at the last attempt"))
        << held[0].detail;
    EXPECT_TRUE(contains(held[0].detail, "refused")) << held[0].detail;
    EXPECT_EQ(log.size(), lines) << "no connection was tried";

    transport.forget_unreachable();  // herald queue flush
    auto retried = run_delivery(transport, delivery);
    EXPECT_TRUE(contains(retried.at(0).detail, "connect to 127.0.0.1")) << retried[0].detail;
    ASSERT_GT(log.size(), lines);
    EXPECT_TRUE(contains(log.back(), "unreachable; its mail waits 60 s")) << log.back();
}

TEST(SmtpTransport, DefersWhenThePasswordFileCannotBeRead) {
    FakeResolver dns;
    config::Transport t = smarthost(free_port());
    t.auth_user = "alice";
    t.auth_password_file = "/nonexistent/herald/pass";
    SmtpTransport transport(t, dns, "herald.test", quick());
    auto envelope = envelope_from("a@sender.example", {});
    auto results = run_delivery(transport, {"id1", envelope, {"b@x.example"}, kMessage});
    EXPECT_EQ(results.at(0).outcome, Outcome::deferred);
    EXPECT_EQ(results[0].detail,
              "transport relay: cannot read auth_password_file /nonexistent/herald/pass");
}

TEST(SmtpTransport, DeliversToSmtpSinkWithPipelining) {
    if (!have("/usr/sbin/smtp-sink")) GTEST_SKIP() << "smtp-sink is not installed";
    const std::uint16_t port = free_port();
    Receiver sink(
        {"/usr/sbin/smtp-sink", "-u", "nobody", "-c", "127.0.0.1:" + std::to_string(port), "100"},
        false, port);
    if (!sink.ready()) GTEST_SKIP() << "smtp-sink did not start";
    FakeResolver dns;
    SmtpTransport transport(smarthost(port), dns, "herald.test", quick());
    auto envelope = envelope_from("a@sender.example", {});
    std::string big;
    for (int i = 0; i < 20000; ++i) big += ".line " + std::to_string(i) + "\r\n";
    std::vector<std::string> recipients{"a@x.example", "b@x.example", "c@y.example"};
    auto results = run_delivery(transport, {"id1", envelope, recipients, big});
    ASSERT_EQ(results.size(), 3u);
    for (const auto& r : results) {
        EXPECT_EQ(r.outcome, Outcome::delivered) << r.detail;
        EXPECT_TRUE(r.detail.starts_with("250")) << r.detail;
    }
}

// ---- the per-destination connection limit ----

TEST(ConnectionLimiter, MakesTheConnectionOverTheLimitWait) {
    namespace asio = boost::asio;
    asio::io_context io;
    ConnectionLimiter limiter(1);
    std::vector<std::string> order;
    auto user = [&](std::string name) -> asio::awaitable<void> {
        auto permit = co_await limiter.acquire("x.example");
        order.push_back(name + " in");
        EXPECT_EQ(limiter.in_use("x.example"), 1u);
        asio::steady_timer pause(io, std::chrono::milliseconds(20));
        co_await pause.async_wait(asio::use_awaitable);
        order.push_back(name + " out");
    };
    asio::co_spawn(io, user("first"), asio::detached);
    asio::co_spawn(io, user("second"), asio::detached);
    io.run();
    EXPECT_EQ(order,
              (std::vector<std::string>{"first in", "first out", "second in", "second out"}));
    EXPECT_EQ(limiter.in_use("x.example"), 0u);
}

TEST(ConnectionLimiter, KeepsDestinationsApart) {
    namespace asio = boost::asio;
    asio::io_context io;
    ConnectionLimiter limiter(1);
    int concurrent = 0;
    int most = 0;
    auto user = [&](std::string key) -> asio::awaitable<void> {
        auto permit = co_await limiter.acquire(key);
        most = std::max(most, ++concurrent);
        asio::steady_timer pause(io, std::chrono::milliseconds(20));
        co_await pause.async_wait(asio::use_awaitable);
        --concurrent;
    };
    asio::co_spawn(io, user("x.example"), asio::detached);
    asio::co_spawn(io, user("y.example"), asio::detached);
    io.run();
    EXPECT_EQ(most, 2);
}

TEST(ConnectionLimiter, TellsAWaiterOfAParkedConnectionOrGivesItTheNextSlot) {
    namespace asio = boost::asio;
    asio::io_context io;
    ConnectionLimiter limiter(1);
    std::vector<std::string> outcomes;
    std::optional<ConnectionLimiter::Permit> held;
    auto waiter = [&]() -> asio::awaitable<void> {
        auto permit = co_await limiter.acquire_or_parked("x.example", 1);
        outcomes.push_back(permit ? "slot" : "parked");
    };
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            held.emplace(co_await limiter.acquire("x.example"));
            asio::co_spawn(io, waiter(), asio::detached);
            asio::co_spawn(io, waiter(), asio::detached);
            asio::steady_timer pause(io, std::chrono::milliseconds(10));
            co_await pause.async_wait(asio::use_awaitable);
            limiter.offer_parked("x.example");  // the first waiter: no slot, a connection
            co_await pause.async_wait(asio::use_awaitable);
            held.reset();  // the second: the slot
        },
        asio::detached);
    io.run();
    EXPECT_EQ(outcomes, (std::vector<std::string>{"parked", "slot"}));
    EXPECT_EQ(limiter.in_use("x.example"), 0u);
}

// Deliveries one after the other on one event loop, as the queue makes them; `pause` between
// them. Returns once every parked connection has been closed.
std::vector<std::vector<RecipientResult>> run_in_turn(Transport& transport,
                                                      const std::vector<Delivery>& deliveries,
                                                      std::chrono::milliseconds pause) {
    boost::asio::io_context io;
    std::vector<std::vector<RecipientResult>> all;
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
            boost::asio::steady_timer timer(io);
            for (const auto& delivery : deliveries) {
                all.push_back(co_await transport.deliver(delivery));
                timer.expires_after(pause);
                co_await timer.async_wait(boost::asio::use_awaitable);
            }
        },
        boost::asio::detached);
    io.run();
    return all;
}

std::vector<std::string> client_ports(const std::string& out) {
    std::vector<std::string> ports;
    for (std::size_t at = out.find("\"client_port\": "); at != std::string::npos;
         at = out.find("\"client_port\": ", at + 1)) {
        const std::size_t start = at + std::strlen("\"client_port\": ");
        ports.push_back(out.substr(start, out.find_first_of(",}", start) - start));
    }
    return ports;
}

SmtpTransportOptions reusing(std::chrono::seconds idle_time) {
    SmtpTransportOptions options = quick();
    options.reuse = {.idle_time = idle_time, .max_messages = 2};
    return options;
}

TEST(SmtpTransport, ReusesTheConnectionForTheNextMessageToTheSameDestination) {
    TempDir dir;
    auto receiver = aiosmtpd(dir);
    if (!receiver->ready()) GTEST_SKIP() << "aiosmtpd did not start";
    FakeResolver dns;
    SmtpTransport transport(smarthost(receiver->port()), dns, "herald.test",
                            reusing(std::chrono::seconds(1)));
    auto envelope = envelope_from("a@sender.example", {});
    std::vector<Delivery> three(3, Delivery{"id", envelope, {"ok@x.example"}, kMessage});
    auto results = run_in_turn(transport, three, std::chrono::milliseconds(0));
    ASSERT_EQ(results.size(), 3u);
    for (const auto& r : results) {
        ASSERT_EQ(r.size(), 1u);
        EXPECT_EQ(r[0].outcome, Outcome::delivered) << r[0].detail;
    }
    const auto ports = client_ports(read_file(dir / "out"));
    ASSERT_EQ(ports.size(), 3u);
    // Two messages per connection at most (max_messages), then a new one.
    EXPECT_EQ(ports[0], ports[1]);
    EXPECT_NE(ports[1], ports[2]);
}

// Deliveries started together, more than the destination's connections: each that waits
// takes the connection another parks, so they all go over the one connection allowed.
TEST(SmtpTransport, HandsTheConnectionToTheDeliveriesWaitingForIt) {
    TempDir dir;
    auto receiver = aiosmtpd(dir);
    if (!receiver->ready()) GTEST_SKIP() << "aiosmtpd did not start";
    FakeResolver dns;
    config::Transport relay = smarthost(receiver->port());
    relay.max_connections = 1;
    SmtpTransportOptions options = quick();
    options.reuse = {.idle_time = std::chrono::seconds(1), .max_messages = 10};
    SmtpTransport transport(relay, dns, "herald.test", options);
    const Delivery delivery{
        "id", envelope_from("a@sender.example", {}), {"ok@x.example"}, kMessage};
    boost::asio::io_context io;
    std::vector<RecipientResult> results;
    for (int i = 0; i < 4; ++i) {
        boost::asio::co_spawn(
            io,
            [&]() -> boost::asio::awaitable<void> {
                for (auto& r : co_await transport.deliver(delivery)) results.push_back(r);
            },
            boost::asio::detached);
    }
    io.run();
    ASSERT_EQ(results.size(), 4u);
    for (const auto& r : results) EXPECT_EQ(r.outcome, Outcome::delivered) << r.detail;
    const auto ports = client_ports(read_file(dir / "out"));
    ASSERT_EQ(ports.size(), 4u);
    for (const auto& port : ports) EXPECT_EQ(port, ports[0]);
}

TEST(SmtpTransport, ReplacesAParkedConnectionTheServerHasClosed) {
    TempDir dir;
    auto receiver = aiosmtpd(dir, {"--idle-timeout", "0.2"});
    if (!receiver->ready()) GTEST_SKIP() << "aiosmtpd did not start";
    FakeResolver dns;
    SmtpTransport transport(smarthost(receiver->port()), dns, "herald.test",
                            reusing(std::chrono::seconds(2)));
    auto envelope = envelope_from("a@sender.example", {});
    std::vector<Delivery> two(2, Delivery{"id", envelope, {"ok@x.example"}, kMessage});
    // Long enough for the server to hang up on the parked connection.
    auto results = run_in_turn(transport, two, std::chrono::milliseconds(1000));
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[1][0].outcome, Outcome::delivered) << results[1][0].detail;
    const auto ports = client_ports(read_file(dir / "out"));
    ASSERT_EQ(ports.size(), 2u);
    EXPECT_NE(ports[0], ports[1]);
}

}  // namespace
}  // namespace herald::delivery
