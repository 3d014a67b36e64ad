#include "dns/unbound_resolver.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/udp.hpp>

#include "run_coroutine.hpp"
#include "unbound_test_server.hpp"

namespace herald::dns {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::run_coroutine;
using testing::UnboundTestServer;
using ::testing::UnorderedElementsAre;

const std::vector<std::string> zones = {"test.", "2.0.192.in-addr.arpa.",
                                        "8.b.d.0.1.0.0.2.ip6.arpa."};
const std::vector<std::string> records = {
    "mx.test. 300 MX 10 a.mx.test.",
    "mx.test. 300 MX 20 b.mx.test.",
    "a.mx.test. 300 A 192.0.2.1",
    "a.mx.test. 300 AAAA 2001:db8::1",
    "a.mx.test. 300 A 192.0.2.2",
    "null.test. 300 MX 0 .",
    R"(txt.test. 300 TXT "v=spf1 " "-all")",
    R"(txt.test. 300 TXT "second")",
    "1.2.0.192.in-addr.arpa. 300 PTR a.mx.test.",
    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. 300 PTR "
    "v6.mx.test.",
};

std::unique_ptr<UnboundResolver> make_resolver(
    boost::asio::io_context& io, std::string server,
    std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto resolver = UnboundResolver::create(io.get_executor(), {{std::move(server)}, timeout, {}});
    EXPECT_TRUE(resolver.ok()) << resolver.error();
    return resolver.ok() ? std::move(*resolver) : nullptr;
}

class UnboundResolverTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() { server_ = std::make_unique<UnboundTestServer>(zones, records); }
    static void TearDownTestSuite() { server_.reset(); }
    void SetUp() override {
        ASSERT_TRUE(server_->running()) << server_->error();
        resolver_ = make_resolver(io_, server_->address());
        ASSERT_TRUE(resolver_);
    }

    static std::unique_ptr<UnboundTestServer> server_;
    boost::asio::io_context io_;
    std::unique_ptr<UnboundResolver> resolver_;
};
std::unique_ptr<UnboundTestServer> UnboundResolverTest::server_;

TEST_F(UnboundResolverTest, AnswersMxRecordsOfBothPreferences) {
    const auto answer = run_coroutine(io_, resolver_->mx("mx.test"));
    ASSERT_EQ(answer.status, Status::ok) << answer.why;
    std::vector<std::pair<int, std::string>> got;
    for (const auto& mx : answer.records) got.emplace_back(mx.preference, mx.host);
    EXPECT_THAT(got, UnorderedElementsAre(std::pair<int, std::string>{10, "a.mx.test"},
                                          std::pair<int, std::string>{20, "b.mx.test"}));
    EXPECT_GT(answer.ttl, 0u);
    EXPECT_LE(answer.ttl, 300u);
    EXPECT_FALSE(answer.secure);
}

TEST_F(UnboundResolverTest, AnswersTheNullMx) {
    const auto answer = run_coroutine(io_, resolver_->mx("null.test."));
    ASSERT_EQ(answer.status, Status::ok) << answer.why;
    ASSERT_EQ(answer.records.size(), 1u);
    EXPECT_EQ(answer.records[0].preference, 0);
    EXPECT_EQ(answer.records[0].host, "");
}

TEST_F(UnboundResolverTest, AnswersIpv4AndIpv6Addresses) {
    EXPECT_THAT(run_coroutine(io_, resolver_->a("a.mx.test")).records,
                UnorderedElementsAre("192.0.2.1", "192.0.2.2"));
    EXPECT_THAT(run_coroutine(io_, resolver_->aaaa("A.MX.test")).records,
                ElementsAre("2001:db8::1"));
}

TEST_F(UnboundResolverTest, JoinsTheStringsOfEachTxtRecord) {
    EXPECT_THAT(run_coroutine(io_, resolver_->txt("txt.test")).records,
                UnorderedElementsAre("v=spf1 -all", "second"));
}

TEST_F(UnboundResolverTest, AnswersPtrForIpv4AndIpv6) {
    EXPECT_THAT(run_coroutine(io_, resolver_->ptr("192.0.2.1")).records, ElementsAre("a.mx.test"));
    EXPECT_THAT(run_coroutine(io_, resolver_->ptr("2001:db8::1")).records,
                ElementsAre("v6.mx.test"));
    EXPECT_EQ(run_coroutine(io_, resolver_->ptr("no address")).status, Status::error);
}

TEST_F(UnboundResolverTest, TellsNxdomainFromNodata) {
    EXPECT_EQ(run_coroutine(io_, resolver_->mx("absent.test")).status, Status::nxdomain);
    EXPECT_EQ(run_coroutine(io_, resolver_->mx("a.mx.test")).status, Status::nodata);
    EXPECT_EQ(run_coroutine(io_, resolver_->txt("mx.test")).status, Status::nodata);
}

TEST_F(UnboundResolverTest, RejectsMalformedNamesWithoutQuerying) {
    EXPECT_EQ(run_coroutine(io_, resolver_->a("")).status, Status::error);
    EXPECT_EQ(run_coroutine(io_, resolver_->a(std::string_view("a\0b.test", 8))).status,
              Status::error);
    EXPECT_EQ(run_coroutine(io_, resolver_->a(std::string(64, 'a') + ".test")).status,
              Status::error);
}

TEST_F(UnboundResolverTest, AnswersConcurrentQueriesOnOneLoop) {
    std::vector<Answer<std::string>> answers(3);
    auto query = [&](std::size_t i, std::string name) -> boost::asio::awaitable<void> {
        answers[i] = co_await resolver_->a(name);
    };
    boost::asio::co_spawn(io_, query(0, "a.mx.test"), boost::asio::detached);
    boost::asio::co_spawn(io_, query(1, "absent.test"), boost::asio::detached);
    boost::asio::co_spawn(io_, query(2, "mx.test"), boost::asio::detached);
    io_.run();
    EXPECT_EQ(answers[0].status, Status::ok);
    EXPECT_EQ(answers[1].status, Status::nxdomain);
    EXPECT_EQ(answers[2].status, Status::nodata);
}

TEST(UnboundResolver, AnswersFromItsCacheWithinTheTtl) {
    UnboundTestServer server(zones, records);
    ASSERT_TRUE(server.running()) << server.error();
    boost::asio::io_context io;
    auto resolver = make_resolver(io, server.address(), std::chrono::milliseconds(500));
    ASSERT_TRUE(resolver);
    ASSERT_TRUE(run_coroutine(io, resolver->mx("mx.test")).ok());
    ASSERT_EQ(run_coroutine(io, resolver->a("absent.test")).status, Status::nxdomain);
    server.stop();
    EXPECT_TRUE(run_coroutine(io, resolver->mx("mx.test")).ok());
    EXPECT_EQ(run_coroutine(io, resolver->a("absent.test")).status, Status::nxdomain);
    EXPECT_TRUE(run_coroutine(io, resolver->a("a.mx.test")).temporary());
}

TEST(UnboundResolver, TimesOutWhenTheServerNeverAnswers) {
    boost::asio::io_context io;
    boost::asio::ip::udp::socket silent(
        io, boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    const auto address = "127.0.0.1:" + std::to_string(silent.local_endpoint().port());
    auto resolver = make_resolver(io, address, std::chrono::milliseconds(300));
    ASSERT_TRUE(resolver);
    const auto started = std::chrono::steady_clock::now();
    const auto answer = run_coroutine(io, resolver->mx("mx.test"));
    EXPECT_EQ(answer.status, Status::timeout);
    EXPECT_TRUE(answer.temporary());
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
}

TEST(UnboundResolver, SurvivesBeingDestroyedBeforeTheLoopWithAQueryInFlight) {
    boost::asio::io_context io;
    boost::asio::ip::udp::socket silent(
        io, boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    auto resolver =
        make_resolver(io, "127.0.0.1:" + std::to_string(silent.local_endpoint().port()));
    ASSERT_TRUE(resolver);
    bool finished = false;
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
            co_await resolver->mx("mx.test");
            finished = true;
        },
        boost::asio::detached);
    io.run_for(std::chrono::milliseconds(100));
    resolver.reset();  // the io_context, destroyed next, then destroys the suspended query
    EXPECT_FALSE(finished);
}

TEST(UnboundResolver, RefusesBadServerAddresses) {
    boost::asio::io_context io;
    for (const char* bad :
         {"", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:x", "[::1", "[::1]x", "not-an-ip:53"}) {
        auto resolver = UnboundResolver::create(io.get_executor(), {{bad}, {}, {}});
        ASSERT_FALSE(resolver.ok()) << bad;
        EXPECT_THAT(resolver.error(), HasSubstr("dns: ")) << bad;
    }
}

TEST(UnboundResolver, AcceptsIpv4AndBracketedIpv6Servers) {
    boost::asio::io_context io;
    for (const char* good : {"127.0.0.1:53", "127.0.0.1", "[::1]:5353", "::1"}) {
        auto resolver = UnboundResolver::create(io.get_executor(), {{good}, {}, {}});
        EXPECT_TRUE(resolver.ok()) << good << ": " << resolver.error();
    }
}

}  // namespace
}  // namespace herald::dns
