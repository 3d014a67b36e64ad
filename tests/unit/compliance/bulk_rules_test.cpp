#include "compliance/bulk_rules.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "compliance/bulk_gate.hpp"
#include "mailauth/dkim/signer.hpp"

namespace herald::compliance {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Every rule met.
BulkFacts good() {
    return {.domain = "brand.test",
            .aligned = Fact::holds,
            .alignment_detail = "dmarc=pass",
            .dmarc_record = Fact::holds,
            .unsubscribe = Fact::holds,
            .reverse_dns = Fact::holds,
            .helo_matches = Fact::holds,
            .helo = "mail.brand.test",
            .tls = Fact::holds,
            .complaint_rate = 0.001,
            .complaints = 1,
            .delivered = 1000};
}

const RuleVerdict& rule(const std::vector<RuleVerdict>& verdicts, std::string_view name) {
    for (const auto& v : verdicts) {
        if (v.rule == name) return v;
    }
    ADD_FAILURE() << "no rule " << name;
    return verdicts.front();
}

TEST(BulkRules, EveryRuleInItsOrderAndNoneFailsWhenAllHold) {
    const auto verdicts = judge(good());
    std::vector<std::string_view> names;
    for (const auto& v : verdicts) names.push_back(v.rule);
    EXPECT_THAT(names, ElementsAre("authentication", "dmarc-record", "one-click-unsubscribe",
                                   "reverse-dns", "tls", "complaint-rate"));
    EXPECT_TRUE(failed_rules(verdicts).empty());
    EXPECT_FALSE(refusal_text(verdicts));
    for (const auto& v : verdicts) EXPECT_FALSE(v.stated_by.empty()) << v.rule;
}

TEST(BulkRules, TheComplaintRateFailsAtTheLimitAndPassesWithoutDeliveries) {
    BulkFacts facts = good();
    facts.complaint_rate = 0.003;
    facts.complaints = 3;
    const auto at_limit = rule(judge(facts), "complaint-rate");
    EXPECT_EQ(at_limit.fact, Fact::fails);
    EXPECT_THAT(at_limit.detail, HasSubstr("0.30% over 7 days (3 complaints, 1000 delivered"));
    facts.complaint_rate.reset();
    EXPECT_EQ(rule(judge(facts), "complaint-rate").fact, Fact::holds);
}

TEST(BulkRules, AHeloOtherThanThePtrNameFailsReverseDnsAndUnknownStaysAWarning) {
    BulkFacts facts = good();
    facts.helo_matches = Fact::fails;
    facts.helo = "localhost.localdomain";
    const auto verdict = rule(judge(facts), "reverse-dns");
    EXPECT_EQ(verdict.fact, Fact::fails);
    EXPECT_THAT(verdict.detail, HasSubstr("HELO localhost.localdomain is not that name"));
    facts = good();
    facts.reverse_dns = Fact::unknown;
    facts.helo_matches = Fact::unknown;
    EXPECT_EQ(rule(judge(facts), "reverse-dns").fact, Fact::unknown);
    EXPECT_FALSE(refusal_text(judge(facts)));  // what is not known never refuses
}

TEST(BulkRules, TheRefusalNamesTheFirstFailingRuleItsFixAndWhoStatesIt) {
    BulkFacts facts = good();
    facts.dmarc_record = Fact::fails;
    facts.dmarc_detail = "no DMARC record at _dmarc.brand.test";
    facts.tls = Fact::fails;
    facts.tls_detail = "transport 'mx' has tls = \"none\"";
    const auto verdicts = judge(facts);
    EXPECT_THAT(failed_rules(verdicts), ElementsAre("dmarc-record", "tls"));
    const auto text = refusal_text(verdicts);
    ASSERT_TRUE(text);
    EXPECT_THAT(*text, HasSubstr("Bulk mail refused: dmarc-record: no DMARC record at "
                                 "_dmarc.brand.test; fix: publish a DMARC record"));
    EXPECT_THAT(*text, HasSubstr("(required by Google, Yahoo, Microsoft)"));
    const auto line = summary_line(verdicts);
    EXPECT_THAT(line, HasSubstr("PASS authentication; FAIL dmarc-record (no DMARC record"));
    EXPECT_THAT(line, HasSubstr("FAIL tls (transport 'mx' has tls = \"none\")"));
}

TEST(BulkRules, AListIdOrBulkPrecedenceMakesAMessageBulk) {
    const auto bulk = [](std::string_view text) {
        return is_bulk_by_headers(message::HeaderBlock::parse(text));
    };
    EXPECT_TRUE(bulk("List-Id: News <news.brand.test>\r\n\r\n"));
    EXPECT_TRUE(bulk("Precedence:  Bulk \r\n\r\n"));
    EXPECT_TRUE(bulk("Precedence: list\r\n\r\n"));
    EXPECT_FALSE(bulk("Precedence: junk\r\n\r\n"));
    EXPECT_FALSE(bulk("Subject: hello\r\n\r\n"));
}

// --- Whether a DKIM signature covers the one-click headers ---------------------------------

mailauth::dkim::SigningChoice choice(std::string domain, std::vector<std::string> headers = {}) {
    return {.signer = nullptr, .domain = std::move(domain), .options = {.headers = headers}};
}

const char* kOneClick =
    "From: news@brand.test\r\n"
    "List-Unsubscribe: <https://u.brand.test/u/x>\r\n"
    "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\r\n";

TEST(UnsubscribeSigned, HeraldsSignatureOfTheDomainOrAParentCoversThem) {
    const auto headers = message::HeaderBlock::parse(kOneClick);
    EXPECT_EQ(unsubscribe_signed(headers, "brand.test", {choice("brand.test")}, false),
              Fact::holds);
    EXPECT_EQ(unsubscribe_signed(headers, "news.brand.test", {choice("Brand.test")}, true),
              Fact::holds);
    EXPECT_EQ(unsubscribe_signed(headers, "brand.test", {choice("other.test")}, false),
              Fact::fails);
    EXPECT_EQ(unsubscribe_signed(headers, "rand.test", {choice("brand.test")}, false),
              Fact::fails);  // a suffix that is not a parent domain
    // A key that names its own headers without them does not cover them.
    EXPECT_EQ(
        unsubscribe_signed(headers, "brand.test", {choice("brand.test", {"from", "to"})}, false),
        Fact::fails);
    EXPECT_EQ(
        unsubscribe_signed(
            headers, "brand.test",
            {choice("brand.test", {"from", "List-Unsubscribe", "list-unsubscribe-post"})}, false),
        Fact::holds);
}

TEST(UnsubscribeSigned, TheMessagesOwnSignatureCountsWhenItsHListsBoth) {
    const std::string signature =
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=brand.test; s=s1;\r\n"
        " h=from:list-unsubscribe:list-unsubscribe-post;\r\n"
        " bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=YWJj\r\n";
    EXPECT_EQ(unsubscribe_signed(message::HeaderBlock::parse(signature + kOneClick), "brand.test",
                                 {}, false),
              Fact::holds);
    const std::string partial =
        "DKIM-Signature: v=1; a=rsa-sha256; d=brand.test; s=s1; h=from:list-unsubscribe;\r\n"
        " bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=YWJj\r\n";
    EXPECT_EQ(unsubscribe_signed(message::HeaderBlock::parse(partial + kOneClick), "brand.test", {},
                                 false),
              Fact::fails);
    // Headers Herald adds come after the client's signatures: only Herald's own cover them.
    EXPECT_EQ(unsubscribe_signed(message::HeaderBlock::parse(signature + kOneClick), "brand.test",
                                 {}, true),
              Fact::fails);
}

TEST(BulkFactsFrom, ReverseDnsAndHelo) {
    BulkFacts facts;
    set_reverse_dns({.status = mailauth::ReverseDns::Status::pass,
                     .confirmed = "mail.brand.test",
                     .detail = "192.0.2.10 -> mail.brand.test -> 192.0.2.10"},
                    "MAIL.brand.test", facts);
    EXPECT_EQ(facts.reverse_dns, Fact::holds);
    EXPECT_EQ(facts.helo_matches, Fact::holds);
    set_reverse_dns({.status = mailauth::ReverseDns::Status::none, .detail = "no PTR record"},
                    "mail.brand.test", facts = BulkFacts{});
    EXPECT_EQ(facts.reverse_dns, Fact::fails);
    EXPECT_EQ(facts.helo_matches, Fact::unknown);
    set_reverse_dns({.status = mailauth::ReverseDns::Status::temperror, .detail = "timed out"},
                    "mail.brand.test", facts = BulkFacts{});
    EXPECT_EQ(facts.reverse_dns, Fact::unknown);
}

TEST(BulkFactsFrom, TheComplaintsOfTheLastWeek) {
    SenderVolume volume;
    const auto now = SenderVolume::Clock::now();
    for (int i = 0; i < 200; ++i) volume.count_delivered("brand.test", now);
    volume.count_complaint("brand.test", now);
    BulkFacts facts{.domain = "brand.test"};
    set_complaints(volume, now, facts);
    EXPECT_EQ(facts.delivered, 200u);
    EXPECT_EQ(facts.complaints, 1u);
    ASSERT_TRUE(facts.complaint_rate);
    EXPECT_DOUBLE_EQ(*facts.complaint_rate, 0.005);
    EXPECT_EQ(rule(judge(facts), "complaint-rate").fact, Fact::fails);
}

}  // namespace
}  // namespace herald::compliance
