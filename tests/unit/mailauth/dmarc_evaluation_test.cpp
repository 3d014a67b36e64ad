#include "mailauth/dmarc/evaluation.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "../dns/run_coroutine.hpp"
#include "dns/fixture_resolver.hpp"
#include "mailauth/dmarc/organizational_domain.hpp"

namespace herald::mailauth::dmarc {
namespace {

using dns::testing::run_coroutine;

constexpr const char* kZone = R"(
_dmarc.example.com:
  - TXT: v=DMARC1; p=reject; sp=quarantine; pct=50
_dmarc.strict.example.net:
  - TXT: v=DMARC1; p=reject; adkim=s; aspf=s
_dmarc.two.example.org:
  - TXT: v=DMARC1; p=none
  - TXT: v=DMARC1; p=reject
_dmarc.broken.example.org:
  - TXT: v=DMARC1; p=reject; pct=500
_dmarc.broken.example.net:
  - TXT: v=DMARC1; p=block
_dmarc.slow.example.org:
  - TIMEOUT
_dmarc.other.example.org:
  - TXT: some unrelated text
)";

class DmarcEvaluationTest : public ::testing::Test {
  protected:
    PolicyLookup discovered(std::string domain) {
        return run_coroutine(discover(resolver, std::move(domain)));
    }
    Evaluation checked(Identifiers identifiers) {
        return run_coroutine(check(resolver, std::move(identifiers)));
    }

    dns::FixtureResolver resolver = *dns::FixtureResolver::from_yaml(YAML::Load(kZone), "test");
};

TEST(DmarcOrganizationalDomain, UsesThePublicSuffixList) {
    EXPECT_EQ(organizational_domain("Mail.Example.COM."), "example.com");
    EXPECT_EQ(organizational_domain("a.b.example.co.uk"), "example.co.uk");
    EXPECT_EQ(organizational_domain("example.com"), "example.com");
    EXPECT_EQ(organizational_domain("co.uk"), "co.uk");
    EXPECT_EQ(organizational_domain(""), "");
}

TEST(DmarcAlignment, IsRelaxedWithinAnOrganizationAndStrictOnlyForTheSameName) {
    EXPECT_TRUE(aligned("bounce.example.com", "example.com", Alignment::relaxed));
    EXPECT_FALSE(aligned("bounce.example.com", "example.com", Alignment::strict));
    EXPECT_TRUE(aligned("Example.com.", "example.com", Alignment::strict));
    EXPECT_FALSE(aligned("example.net", "example.com", Alignment::relaxed));
    EXPECT_FALSE(aligned("a.co.uk", "b.co.uk", Alignment::relaxed));
    EXPECT_FALSE(aligned("", "example.com", Alignment::relaxed));
}

TEST_F(DmarcEvaluationTest, FindsTheRecordOfTheFromDomain) {
    const auto lookup = discovered("example.com");
    EXPECT_EQ(lookup.status, PolicyStatus::found);
    EXPECT_EQ(lookup.record_domain, "example.com");
    EXPECT_EQ(lookup.record.policy, Policy::reject);
}

TEST_F(DmarcEvaluationTest, FallsBackToTheOrganizationalDomainAndItsSubdomainPolicy) {
    const auto evaluation =
        checked({"news.example.com", spf::Outcome::fail, "news.example.com", {}});
    EXPECT_EQ(evaluation.lookup.record_domain, "example.com");
    EXPECT_FALSE(evaluation.pass);
    EXPECT_TRUE(evaluation.subdomain_policy);
    EXPECT_EQ(evaluation.policy, Policy::quarantine);
}

TEST_F(DmarcEvaluationTest, PassesOnARelaxedAlignedSpfPass) {
    const auto evaluation = checked({"example.com", spf::Outcome::pass, "bounces.example.com", {}});
    EXPECT_TRUE(evaluation.pass);
    EXPECT_TRUE(evaluation.spf_aligned);
    EXPECT_EQ(evaluation.disposition(0), Policy::none);
}

TEST_F(DmarcEvaluationTest, FailsAnSpfPassForAnotherDomainAndAppliesPct) {
    const auto evaluation = checked({"example.com", spf::Outcome::pass, "esp.example.net", {}});
    EXPECT_FALSE(evaluation.pass);
    EXPECT_EQ(evaluation.policy, Policy::reject);
    EXPECT_EQ(evaluation.percent, 50u);
    EXPECT_EQ(evaluation.disposition(10), Policy::reject);
    EXPECT_EQ(evaluation.disposition(70), Policy::quarantine);
    EXPECT_NE(evaluation.why.find("esp.example.net"), std::string::npos);
}

TEST_F(DmarcEvaluationTest, PassesOnAnAlignedDkimSignatureAmongOthers) {
    const auto evaluation =
        checked({"example.com",
                 spf::Outcome::softfail,
                 "example.com",
                 {{"esp.example.net", true}, {"example.com", false}, {"mail.example.com", true}}});
    EXPECT_TRUE(evaluation.pass);
    EXPECT_FALSE(evaluation.spf_aligned);
    EXPECT_EQ(evaluation.aligned_dkim_domain, "mail.example.com");
}

TEST_F(DmarcEvaluationTest, HoldsStrictAlignmentToTheExactName) {
    const auto evaluation = checked({"strict.example.net",
                                     spf::Outcome::pass,
                                     "example.net",
                                     {{"mail.strict.example.net", true}}});
    EXPECT_FALSE(evaluation.pass);
    EXPECT_EQ(evaluation.policy, Policy::reject);
}

TEST_F(DmarcEvaluationTest, AppliesNoPolicyForMultipleOrInvalidRecords) {
    EXPECT_EQ(discovered("two.example.org").status, PolicyStatus::multiple);
    const auto broken = discovered("broken.example.net");
    EXPECT_EQ(broken.status, PolicyStatus::invalid);
    EXPECT_NE(broken.problem.find("bad p"), std::string::npos);
    const auto evaluation =
        evaluate(broken, {"broken.example.net", spf::Outcome::fail, "broken.example.net", {}});
    EXPECT_EQ(evaluation.disposition(0), Policy::none);
}

TEST_F(DmarcEvaluationTest, AppliesARecordWhoseOnlyFaultIsAnotherTagsValue) {
    const auto lookup = discovered("broken.example.org");  // p=reject; pct=500
    ASSERT_EQ(lookup.status, PolicyStatus::found);
    EXPECT_EQ(lookup.record.percent, 100u);
    const auto evaluation =
        evaluate(lookup, {"broken.example.org", spf::Outcome::fail, "broken.example.org", {}});
    EXPECT_EQ(evaluation.disposition(0), Policy::reject);
}

TEST_F(DmarcEvaluationTest, ReportsTemperrorWhenTheLookupTimesOut) {
    EXPECT_EQ(discovered("slow.example.org").status, PolicyStatus::temperror);
}

TEST_F(DmarcEvaluationTest, FindsNothingWhereThereIsNoDmarcRecord) {
    EXPECT_EQ(discovered("other.example.org").status, PolicyStatus::none);
    EXPECT_EQ(discovered("example.org").status, PolicyStatus::none);
    EXPECT_EQ(discovered("").status, PolicyStatus::none);
}

}  // namespace
}  // namespace herald::mailauth::dmarc
