#include "events/bounce_classifier.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald::events {

// gtest prints a category by its name (found by ADL, hence in the category's namespace).
[[maybe_unused]] static void PrintTo(BounceCategory category, std::ostream* os) {
    *os << category_name(category);
}

namespace {

using ::testing::HasSubstr;
using C = BounceCategory;

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

const BounceClassifier& shipped() {
    static const BounceClassifier classifier = [] {
        const std::string path = HERALD_SOURCE_DIR "/config/bounce_rules.toml";
        auto parsed = BounceClassifier::parse(read_file(path), "config/bounce_rules.toml");
        if (!parsed) ADD_FAILURE() << parsed.error();
        return parsed ? *parsed : BounceClassifier();
    }();
    return classifier;
}

// The parse errors of `text`, "" when it parses.
std::string errors_of(std::string_view text) {
    auto parsed = BounceClassifier::parse(text, "t.toml");
    return parsed ? "" : parsed.error();
}

BounceClassifier rules(std::string_view text) {
    auto parsed = BounceClassifier::parse(text, "t.toml");
    EXPECT_TRUE(parsed) << parsed.error();
    return parsed ? *parsed : BounceClassifier();
}

// --- Categories -------------------------------------------------------------------------------

TEST(BounceCategory, EveryCategoryReadsBackFromItsName) {
    for (std::size_t i = 0; i < kBounceCategoryNames.size(); ++i) {
        const auto category = static_cast<BounceCategory>(i);
        EXPECT_EQ(parse_category(category_name(category)), category);
    }
    EXPECT_EQ(category_name(C::invalid_recipient), "invalid-recipient");
    EXPECT_EQ(category_name(C::other), "other");
    EXPECT_EQ(parse_category("Invalid-Recipient"), std::nullopt);
    EXPECT_EQ(parse_category("invalid_recipient"), std::nullopt);
    EXPECT_EQ(parse_category(""), std::nullopt);
}

// --- The shipped rules and the corpus of real replies ----------------------------------------

TEST(BounceClassifier, TheShippedRulesParse) {
    const std::string path = HERALD_SOURCE_DIR "/config/bounce_rules.toml";
    auto parsed = BounceClassifier::parse(read_file(path), "config/bounce_rules.toml");
    ASSERT_TRUE(parsed) << parsed.error();
    EXPECT_GE(parsed->size(), 60u);
}

TEST(BounceClassifier, ClassifiesEveryReplyOfTheCorpusAsItsLineSays) {
    std::ifstream in(HERALD_SOURCE_DIR "/tests/unit/events/bounce_replies.txt");
    ASSERT_TRUE(in) << "tests/unit/events/bounce_replies.txt";
    std::string line;
    std::size_t number = 0;
    std::size_t replies = 0;
    std::vector<std::string> wrong;
    while (std::getline(in, line)) {
        ++number;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line.front() == '#') continue;
        const std::size_t tab = line.find('\t');
        ASSERT_NE(tab, std::string::npos) << "line " << number << " has no tab: " << line;
        const std::string expected = line.substr(0, tab);
        const std::string reply = line.substr(tab + 1);
        ASSERT_TRUE(parse_category(expected)) << "line " << number << ": " << expected;
        ++replies;
        const std::string_view got = category_name(shipped().classify(reply));
        if (got != expected) {
            wrong.push_back("line " + std::to_string(number) + ": expected " + expected + ", got " +
                            std::string(got) + ": " + reply);
        }
    }
    EXPECT_GE(replies, 80u);
    std::string all;
    for (const auto& w : wrong) all += w + "\n";
    EXPECT_TRUE(wrong.empty()) << wrong.size() << " replies classified wrongly:\n" << all;
}

TEST(BounceClassifier, ClassifiesHeraldsOwnReasons) {
    EXPECT_EQ(shipped().classify("4.4.7 message expired: too long in the queue"),
              C::message_expired);
    EXPECT_EQ(shipped().classify("connect to mx.example [192.0.2.1]: connect: Connection refused"),
              C::routing_errors);
    EXPECT_EQ(shipped().classify("cannot resolve example.invalid: no MX and no address"),
              C::bad_domain);
    EXPECT_EQ(shipped().classify("Host or domain name not found"), C::bad_domain);
}

TEST(BounceClassifier, ClassifiesADsnByItsDiagnosticWithTheShippedRules) {
    EXPECT_EQ(shipped().classify_status(
                  "5.0.0",
                  "smtp; 550-5.1.1 The email account that you tried to reach does "
                  "not exist. Please try 550-5.1.1 double-checking the recipient's"),
              C::invalid_recipient);
    EXPECT_EQ(
        shipped().classify_status("4.4.1",
                                  "X-Postfix; connect to mx.example.org[192.0.2.1]:25: Connection "
                                  "timed out"),
        C::routing_errors);
    EXPECT_EQ(shipped().classify_status("5.7.1",
                                        "smtp; 554 5.7.1 Service unavailable; Client "
                                        "host [192.0.2.1] blocked using zen.spamhaus.org"),
              C::spam_related);
}

// --- RFC 3463: what the enhanced status code says when no rule knows the reply ---------------

TEST(BounceClassifier, WithoutRulesAPermanentFailureIsClassifiedByItsEnhancedCode) {
    const BounceClassifier none;
    EXPECT_EQ(none.size(), 0u);
    EXPECT_EQ(none.classify("550 5.1.1 <a@example.com>... no"), C::invalid_recipient);
    EXPECT_EQ(none.classify("550-5.1.1 continued"), C::invalid_recipient);
    EXPECT_EQ(none.classify("550 5.1.2 x"), C::bad_domain);
    EXPECT_EQ(none.classify("553 5.1.3 x"), C::invalid_recipient);
    EXPECT_EQ(none.classify("550 5.1.4 x"), C::invalid_recipient);
    EXPECT_EQ(none.classify("550 5.1.6 x"), C::inactive_mailbox);
    EXPECT_EQ(none.classify("553 5.1.7 x"), C::protocol_errors);  // our sender's syntax
    EXPECT_EQ(none.classify("553 5.1.8 x"), C::policy_related);   // our sender's domain
    EXPECT_EQ(none.classify("556 5.1.10 x"), C::bad_domain);      // null MX, RFC 7505
    EXPECT_EQ(none.classify("550 5.2.1 x"), C::inactive_mailbox);
    EXPECT_EQ(none.classify("552 5.2.2 x"), C::mailbox_full);
    EXPECT_EQ(none.classify("552 5.2.3 x"), C::message_too_large);
    EXPECT_EQ(none.classify("552 5.3.4 x"), C::message_too_large);
    EXPECT_EQ(none.classify("550 5.4.4 x"), C::routing_errors);
    EXPECT_EQ(none.classify("554 5.4.6 x"), C::routing_errors);
    EXPECT_EQ(none.classify("550 5.4.7 x"), C::message_expired);
    EXPECT_EQ(none.classify("500 5.5.1 x"), C::protocol_errors);
    EXPECT_EQ(none.classify("554 5.6.0 x"), C::content_related);
    EXPECT_EQ(none.classify("550 5.7.1 x"), C::policy_related);
    EXPECT_EQ(none.classify("550 5.7.26 x"), C::policy_related);
    EXPECT_EQ(none.classify("550 5.7.606 x"), C::policy_related);
    EXPECT_EQ(none.classify("550 5.7.16 x"), C::message_too_large);  // RFC 6710
    EXPECT_EQ(none.classify("550 5.7.17 x"), C::inactive_mailbox);   // RFC 7293
    EXPECT_EQ(none.classify("550 5.7.18 x"), C::bad_domain);         // RFC 7293
    EXPECT_EQ(none.classify("550 5.7.28 x"), C::spam_related);       // mail flood
}

TEST(BounceClassifier, WithoutRulesWhatSaysNothingIsOther) {
    const BounceClassifier none;
    EXPECT_EQ(none.classify("550 5.0.0 x"), C::other);
    EXPECT_EQ(none.classify("550 5.1.0 x"), C::other);
    EXPECT_EQ(none.classify("550 5.2.0 x"), C::other);
    EXPECT_EQ(none.classify("550 5.3.0 x"), C::other);
    EXPECT_EQ(none.classify("550 5.9.9 x"), C::other);
    EXPECT_EQ(none.classify("554 Transaction failed"), C::other);
    EXPECT_EQ(none.classify("connection refused"), C::other);
    EXPECT_EQ(none.classify("250 2.0.0 Ok"), C::other);
    EXPECT_EQ(none.classify(""), C::other);
}

TEST(BounceClassifier, WithoutRulesATransientFailureKeepsOnlyTemporaryMeanings) {
    const BounceClassifier none;
    EXPECT_EQ(none.classify("452 4.2.2 over quota"), C::mailbox_full);
    EXPECT_EQ(none.classify("451 4.4.1 no answer"), C::routing_errors);
    EXPECT_EQ(none.classify("451 4.4.5 congestion"), C::transient_failure);
    EXPECT_EQ(none.classify("4.4.7 message expired: too long in the queue"), C::message_expired);
    EXPECT_EQ(none.classify("421 4.7.28 flood"), C::spam_related);
    // A hard meaning on a 4xx is no reason to suppress anyone: it is just transient.
    EXPECT_EQ(none.classify("450 4.1.1 recipient lookup failed"), C::transient_failure);
    EXPECT_EQ(none.classify("450 4.2.1 receiving too fast"), C::transient_failure);
    EXPECT_EQ(none.classify("451 4.7.1 greylisted"), C::transient_failure);
    EXPECT_EQ(none.classify("421 Service not available"), C::transient_failure);
}

TEST(BounceClassifier, TheReplyCodeDecidesTransientOrPermanentOverTheEnhancedCode) {
    const BounceClassifier none;
    EXPECT_EQ(none.classify("421 5.1.1 odd"), C::transient_failure);
    EXPECT_EQ(none.classify("554 4.4.7 Message expired"), C::message_expired);
    EXPECT_EQ(none.classify("550 4.2.1 odd"), C::inactive_mailbox);
}

TEST(BounceClassifier, WithoutRulesADsnIsClassifiedByItsStatus) {
    const BounceClassifier none;
    EXPECT_EQ(none.classify_status("5.1.1", "smtp; 550 User unknown"), C::invalid_recipient);
    EXPECT_EQ(none.classify_status("5.2.2", ""), C::mailbox_full);
    EXPECT_EQ(none.classify_status(" 4.4.7 ", ""), C::message_expired);
    EXPECT_EQ(none.classify_status("4.2.2", "x-unix; over quota"), C::mailbox_full);
    // The diagnostic's own enhanced code wins over the Status.
    EXPECT_EQ(none.classify_status("5.0.0", "smtp; 550 5.1.1 <a@example.com>"),
              C::invalid_recipient);
    // A diagnostic with a reply code: that code decides transient or permanent.
    EXPECT_EQ(none.classify_status("5.1.1", "smtp; 450 mailbox busy"), C::transient_failure);
    EXPECT_EQ(none.classify_status("", ""), C::other);
    EXPECT_EQ(none.classify_status("bogus", "smtp;"), C::other);
}

// --- Rules --------------------------------------------------------------------------------------

TEST(BounceClassifier, ARuleMatchesOnlyWhenEveryConditionItGivesHolds) {
    const BounceClassifier c = rules(R"(
[[rule]]
name = "all"
category = "spam-related"
code = 552
enhanced_code = "5.2.2"
match = "over quota"
)");
    EXPECT_EQ(c.size(), 1u);
    EXPECT_EQ(c.classify("552 5.2.2 User is OVER QUOTA"), C::spam_related);
    // With one condition failing, the RFC 3463 fallback decides (5.2.2, 5.2.0, 5.2.2).
    EXPECT_EQ(c.classify("550 5.2.2 over quota"), C::mailbox_full);    // code
    EXPECT_EQ(c.classify("552 5.2.0 over quota"), C::other);           // enhanced code
    EXPECT_EQ(c.classify("552 5.2.2 mailbox full"), C::mailbox_full);  // text
}

TEST(BounceClassifier, TheFirstMatchingRuleWins) {
    const BounceClassifier c = rules(R"(
[[rule]]
name = "specific"
category = "spam-related"
match = "spamhaus"

[[rule]]
name = "general"
category = "policy-related"
class = 5
)");
    EXPECT_EQ(c.classify("554 5.7.1 blocked using zen.spamhaus.org"), C::spam_related);
    EXPECT_EQ(c.classify("554 5.7.1 denied"), C::policy_related);
    EXPECT_EQ(c.classify("550 5.1.1 unknown"), C::policy_related);   // every 5xx
    EXPECT_EQ(c.classify("451 4.7.1 later"), C::transient_failure);  // no rule: fallback
}

TEST(BounceClassifier, AClassMatchesEveryReplyCodeOfIt) {
    const BounceClassifier c = rules(R"(
[[rule]]
name = "any-4xx"
category = "routing-errors"
class = 4
)");
    EXPECT_EQ(c.classify("421 Service not available"), C::routing_errors);
    EXPECT_EQ(c.classify("452 4.2.2 full"), C::routing_errors);
    EXPECT_EQ(c.classify("4.4.7 message expired"), C::routing_errors);  // no reply code: 4.x.x
    EXPECT_EQ(c.classify("550 5.1.1 x"), C::invalid_recipient);
    EXPECT_EQ(c.classify("connection refused"), C::other);
}

TEST(BounceClassifier, AnEnhancedCodeEndingInADotIsAPrefix) {
    const BounceClassifier c = rules(R"(
[[rule]]
name = "ms-ranges"
category = "spam-related"
enhanced_code = "5.7."

[[rule]]
name = "exact"
category = "other"
enhanced_code = "5.1.1"
)");
    EXPECT_EQ(c.classify("550 5.7.606 Access denied"), C::spam_related);
    EXPECT_EQ(c.classify("550 5.7.1 x"), C::spam_related);
    EXPECT_EQ(c.classify("550 5.1.1 x"), C::other);
    EXPECT_EQ(c.classify("550 5.1.10 x"), C::bad_domain);  // not "5.1.1": the fallback
    EXPECT_EQ(c.classify("451 4.7.1 x"), C::transient_failure);
}

TEST(BounceClassifier, MatchIsCaseInsensitiveAndSearchesTheWholeReply) {
    const BounceClassifier c = rules(R"(
[[rule]]
name = "anywhere"
category = "virus-related"
match = 'Virus Found'
)");
    EXPECT_EQ(c.classify("550 5.7.0 message rejected: VIRUS FOUND (Eicar)"), C::virus_related);
    EXPECT_EQ(c.classify("connect: virus found"), C::virus_related);
}

TEST(BounceClassifier, RepeatedLinePrefixesOfAMultiLineReplyDoNotBreakAPhrase) {
    const BounceClassifier c = rules(R"(
[[rule]]
name = "gmail"
category = "content-related"
match = 'tried to reach does not exist\. Please try double'
)");
    EXPECT_EQ(c.classify("550-5.1.1 The email account that you tried to reach 550-5.1.1 does not "
                         "exist. Please try 550-5.1.1 double-checking 550 5.1.1 the address"),
              C::content_related);
    EXPECT_EQ(c.classify_status("5.1.1",
                                "smtp; 550-5.1.1 tried to reach 550-5.1.1 does not "
                                "exist. Please try 550 5.1.1 double"),
              C::content_related);
}

TEST(BounceClassifier, ADiagnosticTypeIsNotPartOfTheText) {
    const BounceClassifier c = rules(R"(
[[rule]]
name = "postfix"
category = "routing-errors"
match = '^connect to '
)");
    // Status 5.0.0 alone would say `other`.
    EXPECT_EQ(c.classify_status("5.0.0", "X-Postfix; connect to mx.example[192.0.2.1]:25: x"),
              C::routing_errors);
    EXPECT_EQ(c.classify_status("5.0.0", "smtp;connect to mx.example"), C::routing_errors);
    EXPECT_EQ(c.classify_status("5.0.0", "smtp; x connect to mx.example"), C::other);
}

TEST(BounceClassifier, ClassifyNeverThrowsWhateverTheReply) {
    const BounceClassifier c = rules(R"(
[[rule]]
name = "greedy"
category = "other"
match = '(a|b)*c.*d.*e$'
)");
    const std::string long_reply = "550 5.1.1 " + std::string(200000, 'a');
    EXPECT_NO_THROW(EXPECT_EQ(c.classify(long_reply), C::invalid_recipient));
    const std::string binary("550 5.2.2 \0\xff\xfe\x80 x", 16);
    EXPECT_NO_THROW(EXPECT_EQ(c.classify(binary), C::mailbox_full));
    EXPECT_NO_THROW(c.classify_status(std::string(5000, '5'), std::string(5000, ';')));
    EXPECT_NO_THROW(shipped().classify(long_reply));
}

TEST(BounceClassifier, AnEmptyFileHasNoRules) {
    const BounceClassifier c = rules("# nothing yet\n");
    EXPECT_EQ(c.size(), 0u);
    EXPECT_EQ(c.classify("550 5.1.1 x"), C::invalid_recipient);
}

// --- Parse errors -------------------------------------------------------------------------------

TEST(BounceClassifierParse, AnUnknownCategoryIsNamedWithItsLine) {
    const std::string e = errors_of(R"(
[[rule]]
name = "a"
category = "spam"
match = "x"
)");
    EXPECT_THAT(e, HasSubstr("t.toml:4: rule 'a': category 'spam' is not a bounce category"));
    EXPECT_THAT(e, HasSubstr("spam-related"));
}

TEST(BounceClassifierParse, ABadRegularExpressionIsNamedWithItsLine) {
    const std::string e = errors_of(R"(
[[rule]]
name = "a"
category = "other"

match = '(unclosed'
)");
    EXPECT_THAT(e, HasSubstr("t.toml:6: rule 'a': match '(unclosed' is not a regular expression"));
}

TEST(BounceClassifierParse, ABadCodeIsNamedWithItsLine) {
    EXPECT_THAT(errors_of("[[rule]]\nname = \"a\"\ncategory = \"other\"\ncode = 5\n"),
                HasSubstr("t.toml:4: rule 'a': code 5 is not a reply code from 400 to 599 (for "
                          "any 4xx or 5xx reply, write class = 4 or class = 5)"));
    EXPECT_THAT(errors_of("[[rule]]\nname = \"a\"\ncategory = \"other\"\ncode = 250\n"),
                HasSubstr("t.toml:4: rule 'a': code 250 is not a reply code"));
    EXPECT_THAT(errors_of("[[rule]]\nname = \"a\"\ncategory = \"other\"\ncode = \"550\"\n"),
                HasSubstr("t.toml:4: rule 'a': code must be an integer"));
    EXPECT_THAT(errors_of("[[rule]]\nname = \"a\"\ncategory = \"other\"\nclass = 3\n"),
                HasSubstr("t.toml:4: rule 'a': class must be 4 (any 4xx reply) or 5"));
}

TEST(BounceClassifierParse, ABadEnhancedCodeIsNamedWithItsLine) {
    for (const char* bad : {"5.1", "5.1.1.", "6.1.1", "5.1.1234", "x.1.1", "5..", "5.1234.", ""}) {
        EXPECT_THAT(errors_of(std::string("[[rule]]\nname = \"a\"\ncategory = \"other\"\n") +
                              "enhanced_code = \"" + bad + "\"\n"),
                    HasSubstr("t.toml:4: rule 'a': enhanced_code '" + std::string(bad) +
                              "' is not an enhanced status code"))
            << bad;
    }
    for (const char* good : {"5.1.1", "4.7.650", "5.1.", "5.", "4.4."}) {
        EXPECT_EQ(errors_of(std::string("[[rule]]\nname = \"a\"\ncategory = \"other\"\n") +
                            "enhanced_code = \"" + good + "\"\n"),
                  "")
            << good;
    }
}

TEST(BounceClassifierParse, AnUnknownKeyIsNamedWithItsLine) {
    EXPECT_THAT(errors_of(R"(
[[rule]]
name = "a"
category = "other"
mach = "x"
)"),
                HasSubstr("t.toml:5: rule 'a': unknown key 'mach'"));
    EXPECT_THAT(errors_of("rules = 1\n"), HasSubstr("t.toml:1: unknown key 'rules'"));
    EXPECT_THAT(errors_of("[rule]\nname = \"a\"\n"),
                HasSubstr("t.toml:1: rule must be written as [[rule]] tables"));
}

TEST(BounceClassifierParse, AMissingCategoryOrNameIsNamedWithTheRulesLine) {
    EXPECT_THAT(errors_of(R"(
[[rule]]
name = "first"
category = "other"
match = "x"

[[rule]]
name = "second"
match = "x"
)"),
                HasSubstr("t.toml:7: rule 'second': category is missing"));
    EXPECT_THAT(errors_of("\n[[rule]]\ncategory = \"other\"\nmatch = \"x\"\n"),
                HasSubstr("t.toml:2: rule at line 2: name is missing"));
}

TEST(BounceClassifierParse, NamesAreUniqueLowerCaseWordsAndDashes) {
    EXPECT_THAT(errors_of(R"(
[[rule]]
name = "same"
category = "other"
match = "x"

[[rule]]
name = "same"
category = "other"
match = "y"
)"),
                HasSubstr("t.toml:8: rule at line 7: name 'same' is the name of an earlier rule"));
    for (const char* bad : {"Upper", "two words", "under_score", "-lead", "trail-", "a--b"}) {
        EXPECT_THAT(errors_of(std::string("[[rule]]\nname = \"") + bad +
                              "\"\ncategory = \"other\"\nmatch = \"x\"\n"),
                    HasSubstr("must be lower-case words and dashes"))
            << bad;
    }
    EXPECT_THAT(errors_of("[[rule]]\nname = 7\ncategory = \"other\"\nmatch = \"x\"\n"),
                HasSubstr("t.toml:2: rule at line 1: name must be a string"));
}

TEST(BounceClassifierParse, ARuleWithoutAConditionIsRefused) {
    EXPECT_THAT(errors_of("[[rule]]\nname = \"all\"\ncategory = \"other\"\n"),
                HasSubstr("t.toml:1: rule 'all': has no condition"));
    EXPECT_THAT(errors_of("[[rule]]\nname = \"a\"\ncategory = \"other\"\nmatch = \"\"\n"),
                HasSubstr("t.toml:4: rule 'a': match is empty"));
}

TEST(BounceClassifierParse, EveryErrorIsReportedOneALine) {
    const std::string e = errors_of(R"(
[[rule]]
name = "a"
category = "nope"
code = 1

[[rule]]
name = "b"
category = "other"
match = '['
)");
    EXPECT_THAT(e, HasSubstr("t.toml:4: rule 'a': category 'nope'"));
    EXPECT_THAT(e, HasSubstr("\nt.toml:5: rule 'a': code 1"));
    EXPECT_THAT(e, HasSubstr("\nt.toml:10: rule 'b': match '['"));
}

TEST(BounceClassifierParse, ASyntaxErrorIsNamedWithItsLine) {
    EXPECT_THAT(errors_of("[[rule]]\nname = \"a\"\ncategory = \n"),
                HasSubstr("t.toml:3: syntax error"));
    EXPECT_THAT(errors_of("[[rule]]\nname = \"a\"\n\xff = 1\n"), HasSubstr("t.toml:3:"));
}

TEST(BounceClassifierParse, NonAsciiTextInAnExpressionIsAccepted) {
    const BounceClassifier c = rules(R"(
[[rule]]
name = "orange"
category = "spam-related"
match = 'Service refusé'
)");
    EXPECT_EQ(c.classify("550 mwinf ME Service refusé. Veuillez essayer plus tard."),
              C::spam_related);
    EXPECT_EQ(c.classify("550 mwinf ME Service refuse."), C::other);
}

// --- Causes (the deferral explainer) ---------------------------------------------------------

TEST(BounceClassifier, AReadingNamesTheRuleAndItsCause) {
    const BounceClassifier c = rules(R"(
[[rule]]
name = "spf-failed"
category = "policy-related"
cause = "spf"
match = "SPF authentication didn.t pass"

[[rule]]
name = "plain"
category = "spam-related"
match = "blocked"
)");
    const BounceReading spf = c.read("421 4.7.27 SPF authentication didn't pass for this message");
    EXPECT_EQ(spf.category, C::policy_related);
    EXPECT_EQ(spf.cause, ReplyCause::spf);
    EXPECT_EQ(spf.rule, "spf-failed");
    const BounceReading plain = c.read("554 blocked");
    EXPECT_EQ(plain.cause, ReplyCause::none);  // a rule without cause
    EXPECT_EQ(plain.rule, "plain");
    const BounceReading fallback = c.read("550 5.1.1 unknown");
    EXPECT_EQ(fallback.cause, ReplyCause::none);  // the status codes decided
    EXPECT_EQ(fallback.rule, "");
    // The table of recent replies keeps the whole reading.
    EXPECT_EQ(c.read("421 4.7.27 SPF authentication didn't pass for this message").cause,
              ReplyCause::spf);
    EXPECT_EQ(c.read_status("5.7.27", "smtp; 550 5.7.27 SPF authentication didn't pass").cause,
              ReplyCause::spf);
}

TEST(BounceClassifierParse, AnUnknownCauseOrNoneWrittenOutIsRefused) {
    for (std::string_view cause : {"\"spam\"", "\"none\"", "3"}) {
        const std::string e = errors_of("[[rule]]\nname = \"a\"\ncategory = \"other\"\ncause = " +
                                        std::string(cause) + "\nmatch = \"x\"\n");
        EXPECT_THAT(e, HasSubstr("t.toml:4: rule 'a': cause ")) << cause;
    }
    EXPECT_THAT(errors_of("[[rule]]\nname = \"a\"\ncategory = \"other\"\ncause = \"x\"\n"
                          "match = \"x\"\n"),
                HasSubstr("unauthenticated, spf, dkim"));
}

TEST(BounceClassifier, TheShippedRulesNameTheCauseOfTheProvidersAuthenticationReplies) {
    // Replies as Gmail, Microsoft and Yahoo publish them (tests/integration/provider_replies.py
    // has the whole set with sources; the integration test runs every one of them).
    const std::pair<std::string_view, ReplyCause> replies[] = {
        {"550 5.7.26 This email has been blocked because the sender is unauthenticated.",
         ReplyCause::unauthenticated},
        {"421 4.7.27 Your email has been rate limited because SPF authentication didn't pass for "
         "this message.",
         ReplyCause::spf},
        {"550 5.7.30 This message was blocked because it didn't pass DKIM authentication.",
         ReplyCause::dkim},
        {"421 4.7.32 Your email has been rate limited because the From: header (RFC5322) in this "
         "message isn't aligned with either the authenticated SPF or DKIM organizational domain.",
         ReplyCause::alignment},
        {"550 5.7.25 This message was blocked because the sending IP address doesn't have a PTR "
         "record",
         ReplyCause::reverse_dns},
        {"550 5.7.1 Unfortunately, messages from [10.0.2.5] weren't sent. Please contact your "
         "Internet service provider since part of their network is on our block list (S3150).",
         ReplyCause::block_list},
        {"550 5.7.515 Access denied, sending domain [x.test] does not meet the required "
         "authentication level.",
         ReplyCause::unauthenticated},
        {"421 4.7.0 [TSS04] Messages from 192.0.2.25 temporarily deferred due to unexpected "
         "volume or user complaints",
         ReplyCause::reputation},
        {"554 Message not allowed - [PH01] Email not accepted for policy reasons.",
         ReplyCause::policy},
        // RFC 7372's codes from any receiver.
        {"550 5.7.23 SPF validation failed", ReplyCause::spf},
        {"550 5.7.20 No passing DKIM signature found", ReplyCause::dkim},
        // Not the sender's problem.
        {"550 5.1.1 The email account that you tried to reach does not exist.", ReplyCause::none},
    };
    for (const auto& [reply, cause] : replies) {
        EXPECT_EQ(cause_name(shipped().read(reply).cause), cause_name(cause)) << reply;
    }
}

}  // namespace
}  // namespace herald::events
