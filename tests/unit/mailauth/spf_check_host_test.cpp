#include "mailauth/spf/check_host.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>

#include "../dns/run_coroutine.hpp"
#include "dns/fixture_resolver.hpp"

namespace herald::mailauth::spf {
namespace {

using boost::asio::awaitable;
using dns::testing::run_coroutine;

// The fixture's answers, with every query counted: the limits are about queries.
class CountingResolver final : public dns::Resolver {
  public:
    explicit CountingResolver(std::string_view yaml)
        : fixture_(*dns::FixtureResolver::from_yaml(YAML::Load(std::string(yaml)), "test")) {}

    awaitable<dns::Answer<dns::MxRecord>> mx(std::string_view name) override {
        ++queries;
        co_return co_await fixture_.mx(name);
    }
    awaitable<dns::Answer<std::string>> a(std::string_view name) override {
        ++queries;
        co_return co_await fixture_.a(name);
    }
    awaitable<dns::Answer<std::string>> aaaa(std::string_view name) override {
        ++queries;
        co_return co_await fixture_.aaaa(name);
    }
    awaitable<dns::Answer<std::string>> txt(std::string_view name) override {
        ++queries;
        co_return co_await fixture_.txt(name);
    }
    awaitable<dns::Answer<std::string>> ptr(std::string_view ip) override {
        ++queries;
        co_return co_await fixture_.ptr(ip);
    }
    awaitable<dns::Answer<dns::TlsaRecord>> tlsa(std::string_view name) override {
        ++queries;
        co_return co_await fixture_.tlsa(name);
    }

    int queries = 0;

  private:
    dns::FixtureResolver fixture_;
};

CheckResult check(dns::Resolver& resolver, std::string ip, std::string mail_from,
                  std::string helo = "mail.example.org") {
    return run_coroutine(
        check_mail_from(resolver, std::move(ip), std::move(mail_from), std::move(helo)));
}

TEST(SpfCheckHost, PassesAnAddressListedInTheRecordAndSaysWhichMechanism) {
    CountingResolver dns(R"(
example.com:
  - TXT: v=spf1 ip4:192.0.2.0/24 -all
)");
    const auto result = check(dns, "192.0.2.10", "alice@example.com");
    EXPECT_EQ(result.outcome, Outcome::pass);
    EXPECT_EQ(result.mechanism, "ip4:192.0.2.0/24");
    EXPECT_EQ(result.domain, "example.com");
    EXPECT_EQ(check(dns, "198.51.100.1", "alice@example.com").outcome, Outcome::fail);
}

TEST(SpfCheckHost, EndsAnIncludeLoopWithPermerrorAfterTenLookups) {
    CountingResolver dns(R"(
a.example.com:
  - TXT: v=spf1 include:b.example.com -all
b.example.com:
  - TXT: v=spf1 include:a.example.com -all
)");
    const auto result = check(dns, "192.0.2.1", "x@a.example.com");
    EXPECT_EQ(result.outcome, Outcome::permerror);
    EXPECT_NE(result.problem.find("10"), std::string::npos);
    EXPECT_LE(dns.queries, 12);
}

TEST(SpfCheckHost, EndsARedirectToItselfWithPermerror) {
    CountingResolver dns(R"(
loop.example.com:
  - TXT: v=spf1 redirect=loop.example.com
)");
    EXPECT_EQ(check(dns, "192.0.2.1", "x@loop.example.com").outcome, Outcome::permerror);
    EXPECT_LE(dns.queries, 12);
}

TEST(SpfCheckHost, StopsQueryingAtTheEleventhLookupOfAHugeRecord) {
    std::string record = "v=spf1";
    for (int i = 0; i < 5000; ++i) record += " a:h" + std::to_string(i) + ".example.com";
    CountingResolver dns("big.example.com:\n  - TXT: " + record +
                         "\nh0.example.com:\n  - A: 198.51.100.1\n");
    EXPECT_EQ(check(dns, "192.0.2.1", "x@big.example.com").outcome, Outcome::permerror);
    EXPECT_LE(dns.queries, 12);
}

TEST(SpfCheckHost, GivesPermerrorBeyondTwoVoidLookups) {
    CountingResolver dns(R"(
void.example.com:
  - TXT: v=spf1 a:n1.example.com a:n2.example.com a:n3.example.com ?all
twovoid.example.com:
  - TXT: v=spf1 a:n1.example.com a:n2.example.com ?all
)");
    EXPECT_EQ(check(dns, "192.0.2.1", "x@void.example.com").outcome, Outcome::permerror);
    EXPECT_EQ(check(dns, "192.0.2.1", "x@twovoid.example.com").outcome, Outcome::neutral);
}

TEST(SpfCheckHost, GivesTemperrorWhenDnsTimesOut) {
    CountingResolver dns(R"(
slow.example.com:
  - TIMEOUT
inc.example.com:
  - TXT: v=spf1 include:slow.example.com -all
mx.example.com:
  - TXT: v=spf1 mx:slow.example.com -all
)");
    EXPECT_EQ(check(dns, "192.0.2.1", "x@slow.example.com").outcome, Outcome::temperror);
    EXPECT_EQ(check(dns, "192.0.2.1", "x@inc.example.com").outcome, Outcome::temperror);
    EXPECT_EQ(check(dns, "192.0.2.1", "x@mx.example.com").outcome, Outcome::temperror);
}

TEST(SpfCheckHost, GivesNoneWithoutARecordAndPermerrorWithTwo) {
    CountingResolver dns(R"(
plain.example.com:
  - TXT: some verification token
two.example.com:
  - TXT: v=spf1 -all
  - TXT: v=spf1 +all
)");
    EXPECT_EQ(check(dns, "192.0.2.1", "x@plain.example.com").outcome, Outcome::none);
    EXPECT_EQ(check(dns, "192.0.2.1", "x@nowhere.example.com").outcome, Outcome::none);
    EXPECT_EQ(check(dns, "192.0.2.1", "x@two.example.com").outcome, Outcome::permerror);
}

TEST(SpfCheckHost, ChecksHeloForTheNullReversePath) {
    CountingResolver dns(R"(
mail.example.org:
  - TXT: v=spf1 a -all
  - A: 192.0.2.7
)");
    EXPECT_EQ(check(dns, "192.0.2.7", "", "mail.example.org").outcome, Outcome::pass);
    EXPECT_EQ(check(dns, "192.0.2.8", "", "mail.example.org").outcome, Outcome::fail);
}

TEST(SpfCheckHost, MatchesMxAndDualCidrForIpv6Clients) {
    CountingResolver dns(R"(
example.com:
  - TXT: v=spf1 mx/24//64 -all
  - MX: [10, mx.example.com]
mx.example.com:
  - A: 192.0.2.1
  - AAAA: 2001:db8:1:2::1
)");
    EXPECT_EQ(check(dns, "2001:db8:1:2::99", "x@example.com").outcome, Outcome::pass);
    EXPECT_EQ(check(dns, "2001:db8:1:3::99", "x@example.com").outcome, Outcome::fail);
    EXPECT_EQ(check(dns, "::ffff:192.0.2.200", "x@example.com").outcome, Outcome::pass);
}

TEST(SpfCheckHost, ExpandsTheExplanationOfAFail) {
    CountingResolver dns(R"yaml(
example.com:
  - TXT: v=spf1 -all exp=why.example.com
why.example.com:
  - TXT: "%{i} may not send for %{d} (sender %{s})"
)yaml");
    const auto result = check(dns, "192.0.2.1", "bob@example.com");
    EXPECT_EQ(result.outcome, Outcome::fail);
    EXPECT_EQ(result.explanation,
              "192.0.2.1 may not send for example.com (sender bob@example.com)");
}

TEST(SpfCheckHost, ValidatesPtrNamesBeforeTheyMatch) {
    CountingResolver dns(R"(
example.com:
  - TXT: v=spf1 ptr -all
1.2.0.192.in-addr.arpa:
  - PTR: host.example.com
2.2.0.192.in-addr.arpa:
  - PTR: liar.example.com
host.example.com:
  - A: 192.0.2.1
liar.example.com:
  - A: 198.51.100.1
)");
    EXPECT_EQ(check(dns, "192.0.2.1", "x@example.com").outcome, Outcome::pass);
    EXPECT_EQ(check(dns, "192.0.2.2", "x@example.com").outcome, Outcome::fail);
}

TEST(SpfCheckHost, RefusesAClientThatIsNoAddress) {
    CountingResolver dns("{}");
    const auto result = check(dns, "not-an-ip", "x@example.com");
    EXPECT_EQ(result.outcome, Outcome::permerror);
    EXPECT_EQ(dns.queries, 0);
}

TEST(SpfCheckHost, NamesOutcomesBothWays) {
    for (auto outcome : {Outcome::none, Outcome::neutral, Outcome::pass, Outcome::fail,
                         Outcome::softfail, Outcome::temperror, Outcome::permerror}) {
        EXPECT_EQ(outcome_from_string(to_string(outcome)), outcome);
    }
    EXPECT_EQ(outcome_from_string("PASS"), Outcome::pass);
    EXPECT_FALSE(outcome_from_string("ok"));
}

}  // namespace
}  // namespace herald::mailauth::spf
