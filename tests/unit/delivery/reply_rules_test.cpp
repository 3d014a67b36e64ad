#include "delivery/shaping/reply_rules.hpp"

#include <gtest/gtest.h>

namespace herald::delivery {
namespace {

using Action = config::ShapingRule::Action;

TEST(ReplyCodes, ReadsTheCodeAndTheEnhancedCode) {
    auto codes = reply_codes("421 4.7.28 [192.0.2.10] Our system has detected an unusual rate");
    EXPECT_EQ(codes.code, 421);
    EXPECT_EQ(codes.enhanced, "4.7.28");
    codes = reply_codes("421-4.7.28 continued");
    EXPECT_EQ(codes.code, 421);
    EXPECT_EQ(codes.enhanced, "4.7.28");
    codes = reply_codes("451 4.7.500 Server busy. Please try again later");
    EXPECT_EQ(codes.enhanced, "4.7.500");
}

TEST(ReplyCodes, LeavesOutWhatIsNotThere) {
    EXPECT_EQ(reply_codes("421 Too many connections").enhanced, "");
    EXPECT_EQ(reply_codes("421 4.7.28").enhanced, "4.7.28");
    EXPECT_EQ(reply_codes("550 5.7.1234 four digits").enhanced, "");
    EXPECT_EQ(reply_codes("550 5.7.1x").enhanced, "");
    EXPECT_EQ(reply_codes("connection refused").code, 0);
    EXPECT_EQ(reply_codes("42").code, 0);
    EXPECT_EQ(reply_codes("4211 no").code, 0);
    EXPECT_EQ(reply_codes("").code, 0);
}

config::ShapingRule rule(std::string name, std::string provider, int code, std::string enhanced,
                         std::string match) {
    return {.name = std::move(name),
            .provider = std::move(provider),
            .code = code,
            .enhanced_code = std::move(enhanced),
            .match = std::move(match),
            .action = Action::reduce_rate};
}

TEST(ReplyRules, EveryGivenFieldMustMatch) {
    ReplyRules rules({rule("rate", "google", 421, "4.7.28", "unusual rate")});
    EXPECT_NE(rules.match("google", "421 4.7.28 Unusual RATE of unsolicited mail"), nullptr);
    EXPECT_EQ(rules.match("google", "451 4.7.28 unusual rate"), nullptr);     // code
    EXPECT_EQ(rules.match("google", "421 4.7.0 unusual rate"), nullptr);      // enhanced code
    EXPECT_EQ(rules.match("google", "421 4.7.28 try again later"), nullptr);  // text
    EXPECT_EQ(rules.match("yahoo", "421 4.7.28 unusual rate"), nullptr);      // provider
}

TEST(ReplyRules, TheFirstMatchWinsAndARuleWithoutProviderMatchesEveryOne) {
    ReplyRules rules(
        {rule("tss04", "yahoo", 0, "", R"(\[TSS04\])"), rule("any-421", "", 421, "", "")});
    EXPECT_EQ(rules.match("yahoo", "421 4.7.0 [TSS04] Messages from 192.0.2.1 deferred")->name,
              "tss04");
    EXPECT_EQ(rules.match("yahoo", "421 4.7.0 other")->name, "any-421");
    EXPECT_EQ(rules.match("google", "421 4.7.0 [TSS04]")->name, "any-421");
    EXPECT_EQ(rules.match("google", "450 4.2.1 mailbox busy"), nullptr);
}

}  // namespace
}  // namespace herald::delivery
