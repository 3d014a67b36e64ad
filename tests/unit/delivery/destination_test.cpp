#include "delivery/destination.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <set>

#include "fake_resolver.hpp"

namespace herald::delivery {
namespace {

using testing::FakeResolver;
using Status = Destination::Status;

template <typename T>
T run(boost::asio::awaitable<T> task) {
    boost::asio::io_context io;
    auto future = boost::asio::co_spawn(io, std::move(task), boost::asio::use_future);
    io.run();
    return future.get();
}

std::vector<std::string> names(const Destination& d) {
    std::vector<std::string> out;
    for (const auto& host : d.hosts) out.push_back(host.name);
    return out;
}

TEST(DestinationResolver, OrdersMxHostsByPreference) {
    FakeResolver dns;
    dns.add_mx("example.com", {{20, "backup.example.com"}, {10, "mx.example.com"}});
    dns.add_a("mx.example.com", {"192.0.2.1"});
    dns.add_a("backup.example.com", {"192.0.2.2"});
    DestinationResolver resolver(dns);
    auto d = run(resolver.for_domain("example.com"));
    ASSERT_EQ(d.status, Status::ok);
    EXPECT_EQ(names(d), (std::vector<std::string>{"mx.example.com", "backup.example.com"}));
    EXPECT_EQ(d.hosts[0].addresses, std::vector<std::string>{"192.0.2.1"});
}

TEST(DestinationResolver, ShufflesHostsOfEqualPreference) {
    FakeResolver dns;
    dns.add_mx("example.com", {{10, "a.example.com"},
                               {10, "b.example.com"},
                               {10, "c.example.com"},
                               {5, "first.example.com"}});
    for (auto host : {"a", "b", "c", "first"})
        dns.add_a(std::string(host) + ".example.com", {"192.0.2.9"});
    std::set<std::vector<std::string>> orders;
    for (std::uint32_t seed = 0; seed < 30; ++seed) {
        DestinationResolver resolver(dns, seed);
        auto d = run(resolver.for_domain("example.com"));
        ASSERT_EQ(d.hosts.size(), 4u);
        EXPECT_EQ(d.hosts[0].name, "first.example.com");
        orders.insert(names(d));
    }
    EXPECT_GT(orders.size(), 1u);
}

TEST(DestinationResolver, TriesIpv4AndIpv6AddressesOfEachHost) {
    FakeResolver dns;
    dns.add_mx("example.com", {{10, "mx.example.com"}});
    dns.add_a("mx.example.com", {"192.0.2.1"});
    dns.add_aaaa("mx.example.com", {"2001:db8::1"});
    DestinationResolver resolver(dns);
    auto d = run(resolver.for_domain("example.com"));
    ASSERT_EQ(d.hosts.size(), 1u);
    EXPECT_EQ(d.hosts[0].addresses, (std::vector<std::string>{"192.0.2.1", "2001:db8::1"}));
}

TEST(DestinationResolver, UsesTheDomainItselfWhenItHasNoMx) {
    FakeResolver dns;
    dns.add_aaaa("example.com", {"2001:db8::5"});
    dns.add_nodata("example.com");
    DestinationResolver resolver(dns);
    auto d = run(resolver.for_domain("example.com"));
    ASSERT_EQ(d.status, Status::ok);
    EXPECT_EQ(names(d), std::vector<std::string>{"example.com"});
    EXPECT_EQ(d.hosts[0].addresses, std::vector<std::string>{"2001:db8::5"});
}

TEST(DestinationResolver, FailsADomainWithNoMxAndNoAddress) {
    FakeResolver dns;
    dns.add_nodata("example.com");
    DestinationResolver resolver(dns);
    auto d = run(resolver.for_domain("example.com"));
    EXPECT_EQ(d.status, Status::failed);
    EXPECT_TRUE(d.reason.starts_with("550 5.1.2 ")) << d.reason;
}

TEST(DestinationResolver, FailsADomainThatDoesNotExist) {
    FakeResolver dns;
    DestinationResolver resolver(dns);
    auto d = run(resolver.for_domain("nowhere.example"));
    EXPECT_EQ(d.status, Status::failed);
    EXPECT_EQ(d.reason, "550 5.1.2 Domain nowhere.example does not exist");
}

TEST(DestinationResolver, FailsADomainWithANullMx) {
    FakeResolver dns;
    dns.add_mx("example.com", {{0, ""}});
    DestinationResolver resolver(dns);
    auto d = run(resolver.for_domain("example.com"));
    EXPECT_EQ(d.status, Status::failed);
    EXPECT_TRUE(d.reason.starts_with("556 5.1.10 ")) << d.reason;
    dns.add_mx("dot.example.com", {{0, "."}});
    EXPECT_EQ(run(resolver.for_domain("dot.example.com")).status, Status::failed);
}

TEST(DestinationResolver, IgnoresANullMxBesideRealOnes) {
    FakeResolver dns;
    dns.add_mx("example.com", {{0, ""}, {10, "mx.example.com"}});
    dns.add_a("mx.example.com", {"192.0.2.1"});
    DestinationResolver resolver(dns);
    auto d = run(resolver.for_domain("example.com"));
    ASSERT_EQ(d.status, Status::ok);
    EXPECT_EQ(names(d), std::vector<std::string>{"mx.example.com"});
}

TEST(DestinationResolver, DefersWhenTheMxLookupFailsTemporarily) {
    FakeResolver dns;
    dns.mx_answers["example.com"] = testing::answer<dns::MxRecord>(dns::Status::servfail);
    dns.mx_answers["slow.example.com"] = testing::answer<dns::MxRecord>(dns::Status::timeout);
    DestinationResolver resolver(dns);
    auto d = run(resolver.for_domain("example.com"));
    EXPECT_EQ(d.status, Status::deferred);
    EXPECT_EQ(d.reason, "451 4.4.3 MX lookup for example.com failed: SERVFAIL");
    EXPECT_EQ(run(resolver.for_domain("slow.example.com")).status, Status::deferred);
}

TEST(DestinationResolver, SkipsAnMxHostWithoutAddress) {
    FakeResolver dns;
    dns.add_mx("example.com", {{10, "dead.example.com"}, {20, "mx2.example.com"}});
    dns.add_a("mx2.example.com", {"192.0.2.2"});
    DestinationResolver resolver(dns);
    auto d = run(resolver.for_domain("example.com"));
    ASSERT_EQ(d.status, Status::ok);
    EXPECT_EQ(names(d), std::vector<std::string>{"mx2.example.com"});
}

TEST(DestinationResolver, DefersWhenNoMxHostHasAnAddress) {
    FakeResolver dns;
    dns.add_mx("example.com", {{10, "dead.example.com"}, {20, "flaky.example.com"}});
    dns.a_answers["flaky.example.com"] = testing::answer(dns::Status::timeout);
    DestinationResolver resolver(dns);
    auto d = run(resolver.for_domain("example.com"));
    EXPECT_EQ(d.status, Status::deferred);
    EXPECT_TRUE(d.reason.starts_with("451 4.4.4 ")) << d.reason;
    EXPECT_NE(d.reason.find("dead.example.com: no such host"), std::string::npos) << d.reason;
}

TEST(DestinationResolver, DefersTheImplicitMxWhenItsAddressLookupFails) {
    FakeResolver dns;
    dns.add_nodata("example.com");
    dns.a_answers["example.com"] = testing::answer(dns::Status::servfail);
    DestinationResolver resolver(dns);
    EXPECT_EQ(run(resolver.for_domain("example.com")).status, Status::deferred);
}

TEST(DestinationResolver, UsesAddressLiteralsWithoutDns) {
    FakeResolver dns;
    DestinationResolver resolver(dns);
    auto v4 = run(resolver.for_domain("[192.0.2.7]"));
    ASSERT_EQ(v4.status, Status::ok);
    EXPECT_EQ(v4.hosts[0].name, "[192.0.2.7]");
    EXPECT_EQ(v4.hosts[0].addresses, std::vector<std::string>{"192.0.2.7"});
    auto v6 = run(resolver.for_domain("[IPv6:2001:db8::7]"));
    ASSERT_EQ(v6.status, Status::ok);
    EXPECT_EQ(v6.hosts[0].addresses, std::vector<std::string>{"2001:db8::7"});
    EXPECT_TRUE(dns.queries.empty());
}

TEST(DestinationResolver, FailsMalformedAddressLiterals) {
    FakeResolver dns;
    DestinationResolver resolver(dns);
    for (auto literal : {"[300.1.1.1]", "[2001:db8::1]", "[IPv6:192.0.2.1]", "[]", "[x"}) {
        EXPECT_EQ(run(resolver.for_domain(literal)).status, Status::failed) << literal;
    }
}

TEST(DestinationResolver, ResolvesASmarthostWithoutMx) {
    FakeResolver dns;
    dns.add_mx("relay.example.net", {{10, "elsewhere.example.net"}});
    dns.add_a("relay.example.net", {"192.0.2.3"});
    DestinationResolver resolver(dns);
    auto d = run(resolver.for_host("relay.example.net"));
    ASSERT_EQ(d.status, Status::ok);
    EXPECT_EQ(names(d), std::vector<std::string>{"relay.example.net"});
    EXPECT_EQ(dns.queries,
              (std::vector<std::string>{"A relay.example.net", "AAAA relay.example.net"}));
}

TEST(DestinationResolver, TakesASmarthostIpAsItIs) {
    FakeResolver dns;
    DestinationResolver resolver(dns);
    EXPECT_EQ(run(resolver.for_host("127.0.0.1")).hosts.at(0).addresses,
              std::vector<std::string>{"127.0.0.1"});
    EXPECT_EQ(run(resolver.for_host("::1")).hosts.at(0).addresses, std::vector<std::string>{"::1"});
    EXPECT_EQ(run(resolver.for_host("[IPv6:::1]")).hosts.at(0).addresses,
              std::vector<std::string>{"::1"});
    EXPECT_TRUE(dns.queries.empty());
}

TEST(DestinationResolver, DefersAnUnknownSmarthostInsteadOfBouncing) {
    FakeResolver dns;
    DestinationResolver resolver(dns);
    auto d = run(resolver.for_host("typo.example.net"));
    EXPECT_EQ(d.status, Status::deferred);
    EXPECT_EQ(d.reason, "451 4.4.4 Host typo.example.net has no address: no such host");
}

// RFC 7672 2.2: a host's TLSA records count only when its MX record and addresses validated.
TEST(DestinationResolver, MarksAHostSecureOnlyWhenItsMxAndAddressesValidated) {
    FakeResolver dns;
    dns.add_mx("example.com", {{10, "mx.example.com"}, {20, "plain.example.com"}});
    dns.mx_answers["example.com"].secure = true;
    dns.add_a("mx.example.com", {"192.0.2.1"});
    dns.a_answers["mx.example.com"].secure = true;
    dns.add_nodata("mx.example.com");
    dns.add_a("plain.example.com", {"192.0.2.2"});
    DestinationResolver resolver(dns);
    auto d = run(resolver.for_domain("example.com"));
    ASSERT_EQ(names(d), (std::vector<std::string>{"mx.example.com", "plain.example.com"}));
    EXPECT_TRUE(d.hosts[0].secure);
    EXPECT_FALSE(d.hosts[1].secure);

    dns.mx_answers["example.com"].secure = false;
    d = run(resolver.for_domain("example.com"));
    EXPECT_FALSE(d.hosts[0].secure);
}

TEST(DestinationResolver, MarksAnImplicitMxSecureByItsAddresses) {
    FakeResolver dns;
    dns.add_nodata("example.com");
    dns.add_a("example.com", {"192.0.2.1"});
    dns.a_answers["example.com"].secure = true;
    DestinationResolver resolver(dns);
    auto d = run(resolver.for_domain("example.com"));
    ASSERT_EQ(d.hosts.size(), 1u);
    EXPECT_TRUE(d.hosts[0].secure);
    EXPECT_FALSE(run(resolver.for_domain("[192.0.2.1]")).hosts[0].secure);
}

}  // namespace
}  // namespace herald::delivery
