#include "mailauth/fcrdns.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "../dns/run_coroutine.hpp"
#include "dns/fixture_resolver.hpp"

namespace herald::mailauth {
namespace {

using Status = ReverseDns::Status;

constexpr const char* kZone = R"(
10.2.0.192.in-addr.arpa:
  - PTR: mail.example.com
mail.example.com:
  - A: 192.0.2.10
  - AAAA: "2001:db8::a"
11.2.0.192.in-addr.arpa:
  - PTR: other.example.net
  - PTR: mail.example.com
12.2.0.192.in-addr.arpa:
  - PTR: generic-12.isp.example
generic-12.isp.example:
  - A: 192.0.2.99
a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa:
  - PTR: mail.example.com
13.2.0.192.in-addr.arpa:
  - PTR: TIMEOUT
)";

ReverseDns check(const std::string& ip) {
    auto resolver = dns::FixtureResolver::from_yaml(YAML::Load(kZone));
    return dns::testing::run_coroutine(check_reverse_dns(*resolver, ip));
}

TEST(ReverseDns, PassesWhenThePtrNameLeadsBack) {
    const auto rdns = check("192.0.2.10");
    EXPECT_EQ(rdns.status, Status::pass);
    EXPECT_EQ(rdns.confirmed, "mail.example.com");
    EXPECT_EQ(rdns.detail, "192.0.2.10 -> mail.example.com -> 192.0.2.10");
}

TEST(ReverseDns, ComparesIpv6AddressesParsed) {
    const auto rdns = check("2001:0db8:0:0::a");
    EXPECT_EQ(rdns.status, Status::pass) << rdns.detail;
    EXPECT_EQ(rdns.confirmed, "mail.example.com");
}

TEST(ReverseDns, FailsWithoutAPtr) {
    const auto rdns = check("192.0.2.50");
    EXPECT_EQ(rdns.status, Status::none);
    EXPECT_EQ(rdns.detail, "no PTR record for 192.0.2.50");
}

TEST(ReverseDns, FailsWhenNoPtrNameLeadsBack) {
    const auto rdns = check("192.0.2.12");
    EXPECT_EQ(rdns.status, Status::mismatch);
    EXPECT_EQ(rdns.names, std::vector<std::string>{"generic-12.isp.example"});
}

TEST(ReverseDns, TheMismatchedAddressIsNotConfirmedByAnotherName) {
    // Both names exist, neither leads back to .11.
    EXPECT_EQ(check("192.0.2.11").status, Status::mismatch);
}

TEST(ReverseDns, ATimeoutIsTemporary) {
    EXPECT_EQ(check("192.0.2.13").status, Status::temperror);
}

TEST(ReverseDns, RefusesWhatIsNotAnAddress) {
    EXPECT_EQ(check("mail.example.com").status, Status::invalid);
}

}  // namespace
}  // namespace herald::mailauth
