#include "doctor/deferral_explainer.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace herald::doctor {
namespace {

using events::ReplyCause;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Level = Finding::Level;

TEST(ExplanationText, SaysTheCauseThenWhatIsWrongNowThenTheFix) {
    const std::string text =
        explanation_text(ReplyCause::spf, {{Level::pass, "spf", "a record is published"},
                                           {Level::fail, "spf", "192.0.2.99 is not covered"}});
    EXPECT_THAT(text, StartsWith("spf: SPF did not pass at the receiver; now: "
                                 "FAIL spf: 192.0.2.99 is not covered; PASS spf: a record"));
    EXPECT_THAT(text, HasSubstr("; fix: add the sending address to the SPF record"));
    EXPECT_THAT(text, testing::Not(HasSubstr("the checks pass now")));
}

TEST(ExplanationText, ChecksThatPassNowAreSaidSo) {
    const std::string text =
        explanation_text(ReplyCause::reverse_dns, {{Level::pass, "rdns", "192.0.2.10 -> x"}});
    EXPECT_THAT(text, HasSubstr("now: PASS rdns: 192.0.2.10 -> x; the checks pass now"));
    EXPECT_THAT(text, HasSubstr("fix: set the PTR record"));
}

TEST(ExplanationText, ACauseWithoutChecksGivesTheAdviceAlone) {
    EXPECT_EQ(explanation_text(ReplyCause::tls, {}),
              "tls: the receiver requires TLS; fix: deliver with STARTTLS: the transport's tls "
              "must not be \"none\"");
    // Every cause has words of its own.
    for (std::size_t i = 1; i < events::kReplyCauseNames.size(); ++i) {
        const auto cause = static_cast<ReplyCause>(i);
        EXPECT_THAT(explanation_text(cause, {}),
                    StartsWith(std::string(events::cause_name(cause)) + ": "));
    }
}

}  // namespace
}  // namespace herald::doctor
