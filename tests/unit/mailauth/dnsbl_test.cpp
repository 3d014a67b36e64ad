#include "mailauth/dnsbl.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "../dns/run_coroutine.hpp"
#include "dns/fixture_resolver.hpp"

namespace herald::mailauth::dnsbl {
namespace {

using dns::testing::run_coroutine;

TEST(DnsblQueryName, ReversesIpv4Octets) {
    EXPECT_EQ(ip_query_name("192.0.2.1", "zen.example"), "1.2.0.192.zen.example");
    EXPECT_EQ(ip_query_name("::ffff:192.0.2.1", "zen.example"), "1.2.0.192.zen.example");
}

TEST(DnsblQueryName, ReversesIpv6Nibbles) {
    EXPECT_EQ(ip_query_name("2001:db8::1", "zen.example"),
              "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.zen.example");
}

TEST(DnsblQueryName, RefusesWhatIsNotAnAddress) {
    EXPECT_EQ(ip_query_name("mail.example.com", "zen.example"), std::nullopt);
    EXPECT_EQ(ip_query_name("192.0.2", "zen.example"), std::nullopt);
}

dns::Answer<std::string> answer(dns::Status status, std::vector<std::string> records = {}) {
    return {.status = status, .records = std::move(records)};
}

TEST(DnsblInterpret, TellsListingsFromRefusalsAndHijacks) {
    EXPECT_EQ(interpret(answer(dns::Status::nxdomain)), Verdict::not_listed);
    EXPECT_EQ(interpret(answer(dns::Status::ok, {"127.0.0.2"})), Verdict::listed);
    EXPECT_EQ(interpret(answer(dns::Status::ok, {"127.0.0.4", "127.0.0.10"})), Verdict::listed);
    // Spamhaus: 127.255.255.254 = query through a public resolver, .255 = excessive queries.
    EXPECT_EQ(interpret(answer(dns::Status::ok, {"127.255.255.254"})), Verdict::refused);
    EXPECT_EQ(interpret(answer(dns::Status::ok, {"127.255.255.255"})), Verdict::refused);
    // An ISP resolver that rewrites NXDOMAIN to its search page must not list everyone.
    EXPECT_EQ(interpret(answer(dns::Status::ok, {"198.51.100.80"})), Verdict::error);
    EXPECT_EQ(interpret(answer(dns::Status::servfail)), Verdict::error);
    EXPECT_EQ(interpret(answer(dns::Status::timeout)), Verdict::error);
}

constexpr const char* kZone = R"(
2.0.0.127.bl.example:
  - A: 127.0.0.2
  - TXT: "listed: see https://bl.example/lookup?127.0.0.2"
10.2.0.192.bl.example:
  - A: 127.255.255.254
spammer.example.dbl.example:
  - A: 127.0.1.2
)";

Listing lookup_ip_in_zone(const std::string& ip) {
    auto resolver = dns::FixtureResolver::from_yaml(YAML::Load(kZone));
    return run_coroutine(lookup_ip(*resolver, ip, "bl.example"));
}

TEST(DnsblLookup, ReportsAListingWithTheListsReason) {
    const auto listing = lookup_ip_in_zone("127.0.0.2");
    EXPECT_EQ(listing.verdict, Verdict::listed);
    EXPECT_EQ(listing.query, "2.0.0.127.bl.example");
    EXPECT_EQ(listing.answers, std::vector<std::string>{"127.0.0.2"});
    EXPECT_EQ(listing.reason, "listed: see https://bl.example/lookup?127.0.0.2");
}

TEST(DnsblLookup, AnAbsentNameIsNotListed) {
    EXPECT_EQ(lookup_ip_in_zone("192.0.2.99").verdict, Verdict::not_listed);
}

TEST(DnsblLookup, ARefusedQuerySaysSo) {
    const auto listing = lookup_ip_in_zone("192.0.2.10");
    EXPECT_EQ(listing.verdict, Verdict::refused);
    EXPECT_NE(listing.reason.find("refused"), std::string::npos) << listing.reason;
}

TEST(DnsblLookup, LooksUpADomainInADomainList) {
    auto resolver = dns::FixtureResolver::from_yaml(YAML::Load(kZone));
    EXPECT_EQ(run_coroutine(lookup_domain(*resolver, "spammer.example", "dbl.example")).verdict,
              Verdict::listed);
    EXPECT_EQ(run_coroutine(lookup_domain(*resolver, "example.com", "dbl.example")).verdict,
              Verdict::not_listed);
}

}  // namespace
}  // namespace herald::mailauth::dnsbl
