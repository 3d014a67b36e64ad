#include "dns/fixture_resolver.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>

#include "run_coroutine.hpp"

namespace herald::dns {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::run_coroutine;

constexpr const char* fixture = R"(
example.com:
  - MX: [20, mx2.example.com.]
  - MX: [10, MX1.example.com]
  - A: 192.0.2.10
  - AAAA: CAFE:BABE::1
  - TXT: v=spf1 -all
  - TXT: [part one, " part two"]
Mail.Example.COM.:
  - A: 192.0.2.20
null-mx.example.com:
  - MX: [0, '']
alias.example.com:
  - CNAME: Mail.example.com.
chain.example.com:
  - CNAME: alias.example.com
dangling.example.com:
  - CNAME: nowhere.example.com
spf-only.example.com:
  - SPF: v=spf1 a -all
none.example.com:
  - SPF: v=spf1 a -all
  - TXT: NONE
slow.example.com:
  - TIMEOUT
slow-a.example.com:
  - A: TIMEOUT
  - AAAA: 2001:db8::2
half-slow.example.com:
  - TXT: v=spf1 -all
  - TIMEOUT
1.2.0.192.in-addr.arpa:
  - PTR: mail.example.com.
1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa:
  - PTR: v6.example.com
tlsa.example.com:
  - TLSA: [3, 1, 1, abcdef]
)";

FixtureResolver resolver_from(std::string_view yaml) {
    auto resolver = FixtureResolver::from_yaml(YAML::Load(std::string(yaml)), "test");
    EXPECT_TRUE(resolver.ok()) << resolver.error();
    return std::move(*resolver);
}

std::string load_error(std::string_view yaml) {
    auto resolver = FixtureResolver::from_yaml(YAML::Load(std::string(yaml)), "fixture.yml");
    return resolver.ok() ? "" : resolver.error();
}

class FixtureResolverTest : public ::testing::Test {
  protected:
    FixtureResolver resolver = resolver_from(fixture);
};

TEST_F(FixtureResolverTest, AnswersMxRecordsWithoutTheirTrailingDot) {
    const auto answer = run_coroutine(resolver.mx("example.com"));
    ASSERT_TRUE(answer.ok());
    ASSERT_EQ(answer.records.size(), 2u);
    EXPECT_EQ(answer.records[0].preference, 20);
    EXPECT_EQ(answer.records[0].host, "mx2.example.com");
    EXPECT_EQ(answer.records[1].host, "MX1.example.com");
    EXPECT_GT(answer.ttl, 0u);
}

TEST_F(FixtureResolverTest, AnswersTheNullMxAsAnEmptyHost) {
    const auto answer = run_coroutine(resolver.mx("null-mx.example.com"));
    ASSERT_TRUE(answer.ok());
    ASSERT_EQ(answer.records.size(), 1u);
    EXPECT_EQ(answer.records[0].host, "");
}

TEST_F(FixtureResolverTest, AnswersAddressesInCanonicalSpelling) {
    EXPECT_THAT(run_coroutine(resolver.a("example.com")).records, ElementsAre("192.0.2.10"));
    EXPECT_THAT(run_coroutine(resolver.aaaa("example.com")).records, ElementsAre("cafe:babe::1"));
}

TEST_F(FixtureResolverTest, JoinsTheStringsOfEachTxtRecord) {
    EXPECT_THAT(run_coroutine(resolver.txt("example.com")).records,
                ElementsAre("v=spf1 -all", "part one part two"));
}

TEST_F(FixtureResolverTest, ComparesNamesCaseInsensitivelyIgnoringTheTrailingDot) {
    EXPECT_THAT(run_coroutine(resolver.a("mail.example.com")).records, ElementsAre("192.0.2.20"));
    EXPECT_TRUE(run_coroutine(resolver.a("EXAMPLE.com.")).ok());
}

TEST_F(FixtureResolverTest, TellsNxdomainFromNodata) {
    EXPECT_EQ(run_coroutine(resolver.a("absent.example.com")).status, Status::nxdomain);
    EXPECT_EQ(run_coroutine(resolver.mx("mail.example.com")).status, Status::nodata);
}

TEST_F(FixtureResolverTest, FollowsACnameOneLevel) {
    const auto answer = run_coroutine(resolver.a("alias.example.com"));
    EXPECT_THAT(answer.records, ElementsAre("192.0.2.20"));
    EXPECT_EQ(answer.canonical_name, "mail.example.com");
    EXPECT_EQ(run_coroutine(resolver.a("chain.example.com")).status, Status::nodata);
    EXPECT_EQ(run_coroutine(resolver.a("dangling.example.com")).status, Status::nxdomain);
}

TEST_F(FixtureResolverTest, AnswersTxtFromSpfRecordsUnlessTheNameHasTxt) {
    EXPECT_THAT(run_coroutine(resolver.txt("spf-only.example.com")).records,
                ElementsAre("v=spf1 a -all"));
    EXPECT_EQ(run_coroutine(resolver.txt("none.example.com")).status, Status::nodata);
}

TEST_F(FixtureResolverTest, TimesOutEveryTypeOfATimeoutName) {
    EXPECT_EQ(run_coroutine(resolver.a("slow.example.com")).status, Status::timeout);
    EXPECT_EQ(run_coroutine(resolver.mx("slow.example.com")).status, Status::timeout);
    EXPECT_TRUE(run_coroutine(resolver.txt("slow.example.com")).temporary());
}

TEST_F(FixtureResolverTest, TimesOutOnlyTheTypeMarkedTimeout) {
    EXPECT_EQ(run_coroutine(resolver.a("slow-a.example.com")).status, Status::timeout);
    EXPECT_TRUE(run_coroutine(resolver.aaaa("slow-a.example.com")).ok());
}

TEST_F(FixtureResolverTest, AnswersRecordsPresentBeforeABareTimeout) {
    EXPECT_TRUE(run_coroutine(resolver.txt("half-slow.example.com")).ok());
    EXPECT_EQ(run_coroutine(resolver.a("half-slow.example.com")).status, Status::timeout);
}

TEST_F(FixtureResolverTest, AnswersPtrForIpv4AndIpv6) {
    EXPECT_THAT(run_coroutine(resolver.ptr("192.0.2.1")).records, ElementsAre("mail.example.com"));
    EXPECT_THAT(run_coroutine(resolver.ptr("2001:db8::1")).records, ElementsAre("v6.example.com"));
    EXPECT_EQ(run_coroutine(resolver.ptr("192.0.2.99")).status, Status::nxdomain);
    EXPECT_EQ(run_coroutine(resolver.ptr("not-an-ip")).status, Status::error);
}

TEST_F(FixtureResolverTest, ServesTlsaRecordsNeverAsSecure) {
    const auto answer = run_coroutine(resolver.tlsa("TLSA.example.com."));
    ASSERT_EQ(answer.status, Status::ok);
    EXPECT_THAT(answer.records, ElementsAre(TlsaRecord{3, 1, 1, "\xab\xcd\xef"}));
    EXPECT_FALSE(answer.secure);
    EXPECT_EQ(run_coroutine(resolver.a("tlsa.example.com")).status, Status::nodata);
    EXPECT_EQ(run_coroutine(resolver.tlsa("example.com")).status, Status::nodata);
}

TEST(FixtureResolver, RejectsMalformedTlsaRecords) {
    const std::string why =
        "fixture.yml:2: bad TLSA record: expected [usage, selector, matching type, hex data]";
    EXPECT_EQ(load_error("a.example:\n  - TLSA: [3, 1, 1]\n"), why);
    EXPECT_EQ(load_error("a.example:\n  - TLSA: [3, 1, 256, ab]\n"), why);
    EXPECT_EQ(load_error("a.example:\n  - TLSA: [3, 1, 1, abc]\n"), why);
    EXPECT_EQ(load_error("a.example:\n  - TLSA: [3, 1, 1, xy]\n"), why);
    EXPECT_EQ(load_error("a.example:\n  - TLSA: 3 1 1 ab\n"), why);
}

TEST(FixtureResolver, ReportsBadRecordsWithTheirLine) {
    EXPECT_EQ(load_error("a.example:\n  - A: 300.1.1.1\n"),
              "fixture.yml:2: bad A record: expected an IP address");
    EXPECT_EQ(load_error("a.example:\n  - MX: 10\n"),
              "fixture.yml:2: bad MX record: expected [preference, host]");
    EXPECT_EQ(load_error("a.example:\n  - MX: [70000, mx.example]\n"),
              "fixture.yml:2: bad MX record: expected [preference, host]");
    EXPECT_EQ(load_error("a.example:\n\n  - FOO: bar\n"),
              "fixture.yml:3: unknown record type 'FOO'");
    EXPECT_EQ(load_error("a.example:\n  - FOO: TIMEOUT\n"),
              "fixture.yml:2: unknown record type 'FOO'");
    EXPECT_EQ(load_error("a.example:\n  - SLOW\n"),
              "fixture.yml:2: expected a record such as {A: 192.0.2.1}");
    EXPECT_EQ(load_error("a.example: 1.2.3.4\n"), "fixture.yml:1: expected a list of records");
    EXPECT_EQ(load_error("- a.example\n"),
              "fixture.yml:1: expected a map from owner name to records");
    EXPECT_THAT(load_error("a.example:\n  - TXT: {a: b}\n"), HasSubstr("bad TXT record"));
    EXPECT_THAT(load_error("a.example:\n  - PTR: [x]\n"), HasSubstr("bad PTR record"));
}

TEST(FixtureResolver, RejectsHostileShapesWithoutThrowing) {
    for (const char* yaml : {
             "? [a, b]\n: [{A: 192.0.2.1}]\n",
             "a.example: [[1, 2]]\n",
             "a.example: [{A: [1, 2]}]\n",
             "a.example: [{AAAA: 192.0.2.1}]\n",
             "a.example: [{MX: [a, b]}]\n",
             "a.example: [{MX: [-1, b]}]\n",
             "a.example: [{MX: [1, [b]]}]\n",
             "a.example: [{MX: [1, b, c]}]\n",
             "a.example: [{CNAME: ''}]\n",
             "a.example: [{TXT: [[nested]]}]\n",
             "a.example: [{? [k] : v}]\n",
             "a.example: [{A: }]\n",
         }) {
        EXPECT_NE(load_error(yaml), "") << yaml;
    }
}

TEST(FixtureResolver, AcceptsAliasesAndOwnersWithoutRecords) {
    auto resolver = resolver_from("a.example: &r [{A: 192.0.2.1}]\nb.example: *r\nc.example:\n");
    EXPECT_THAT(run_coroutine(resolver.a("b.example")).records, ElementsAre("192.0.2.1"));
    EXPECT_EQ(run_coroutine(resolver.a("c.example")).status, Status::nodata);
}

TEST(FixtureResolver, ReportsUnreadableAndMalformedFiles) {
    auto missing = FixtureResolver::load("/nonexistent/dns.yml");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error(), "/nonexistent/dns.yml: cannot read the DNS fixture");

    const auto path = std::filesystem::temp_directory_path() /
                      ("herald-fixture-" + std::to_string(::getpid()) + ".yml");
    std::ofstream(path) << "a.example:\n  - A: 192.0.2.1\n  - [unclosed\n";
    auto malformed = FixtureResolver::load(path);
    std::filesystem::remove(path);
    ASSERT_FALSE(malformed.ok());
    EXPECT_THAT(malformed.error(), HasSubstr(path.string() + ":4: "));
}

TEST(FixtureResolver, LoadsAFileAndTreatsAnEmptyOneAsNoNames) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("herald-fixture-ok-" + std::to_string(::getpid()) + ".yml");
    std::ofstream(path) << "a.example:\n  - A: 192.0.2.1\n";
    auto loaded = FixtureResolver::load(path);
    std::ofstream(path).close();
    auto empty = FixtureResolver::load(path);
    std::filesystem::remove(path);
    ASSERT_TRUE(loaded.ok()) << loaded.error();
    EXPECT_TRUE(run_coroutine(loaded->a("a.example")).ok());
    ASSERT_TRUE(empty.ok()) << empty.error();
    EXPECT_EQ(run_coroutine(empty->a("a.example")).status, Status::nxdomain);
}

// The OpenSPF suite's own zonedata, as the SPF conformance runner passes it.
class SpfSuiteZonedata : public ::testing::Test {
  protected:
    static FixtureResolver zonedata(std::string_view description) {
        const auto path = std::string(HERALD_SHARED_DIR) + "/conformance/spf/rfc7208-tests.yml";
        for (const auto& document : YAML::LoadAllFromFile(path)) {
            if (document["description"].as<std::string>() == description) {
                auto resolver = FixtureResolver::from_yaml(document["zonedata"], path);
                EXPECT_TRUE(resolver.ok()) << resolver.error();
                return std::move(*resolver);
            }
        }
        ADD_FAILURE() << "no scenario " << description;
        return std::move(*FixtureResolver::from_yaml(YAML::Node(), path));
    }
};

TEST_F(SpfSuiteZonedata, LoadsEveryScenario) {
    const auto path = std::string(HERALD_SHARED_DIR) + "/conformance/spf/rfc7208-tests.yml";
    for (const auto& document : YAML::LoadAllFromFile(path)) {
        auto resolver = FixtureResolver::from_yaml(document["zonedata"], path);
        EXPECT_TRUE(resolver.ok()) << resolver.error();
    }
}

TEST_F(SpfSuiteZonedata, FollowsTheRecordLookupScenario) {
    auto resolver = zonedata("Record lookup");
    EXPECT_THAT(run_coroutine(resolver.txt("both.example.net")).records,
                ElementsAre("v=spf1 -all"));
    EXPECT_EQ(run_coroutine(resolver.txt("spfonly.example.net")).status, Status::nodata);
    EXPECT_TRUE(run_coroutine(resolver.txt("spftimeout.example.net")).ok());
    EXPECT_EQ(run_coroutine(resolver.txt("txttimeout.example.net")).status, Status::timeout);
    EXPECT_EQ(run_coroutine(resolver.txt("nospftxttimeout.example.net")).status, Status::timeout);
    EXPECT_EQ(run_coroutine(resolver.a("alltimeout.example.net")).status, Status::timeout);
    EXPECT_EQ(run_coroutine(resolver.txt("nothere.example.net")).status, Status::nxdomain);
}

TEST_F(SpfSuiteZonedata, JoinsSplitSpfRecordsAndKeepsEmptyOnes) {
    auto resolver = zonedata("Initial processing");
    EXPECT_THAT(run_coroutine(resolver.txt("null.example.com")).records,
                ElementsAre("v=spf1 ip4:192.0.2.5 -all", ""));
    EXPECT_EQ(run_coroutine(resolver.a("example.com")).status, Status::timeout);
}

TEST_F(SpfSuiteZonedata, AnswersTheReverseNamesOfThePtrScenario) {
    auto resolver = zonedata("PTR mechanism syntax");
    EXPECT_THAT(run_coroutine(resolver.ptr("1.2.3.4")).records,
                ElementsAre("e3.example.com", "e4.example.com", "mail.example.com"));
    EXPECT_THAT(run_coroutine(resolver.ptr("CAFE:BABE::1")).records, ElementsAre("e3.example.com"));
    EXPECT_THAT(run_coroutine(resolver.ptr("2001:db8::1")).records,
                ElementsAre("mail.Example.com"));
    EXPECT_EQ(run_coroutine(resolver.a("cname.example.com")).status, Status::nodata);
}

}  // namespace
}  // namespace herald::dns
