#include <gtest/gtest.h>

#include "compliance/unsubscribe_endpoint.hpp"
#include "compliance/unsubscribe_headers.hpp"
#include "compliance/unsubscribe_link.hpp"
#include "events/event_hub.hpp"
#include "events/event_sink.hpp"

namespace herald::compliance {
namespace {

using namespace std::chrono_literals;
using Clock = UnsubscribeLinks::Clock;

const Clock::time_point kNow{std::chrono::seconds(1'796'288'400)};
const UnsubscribeLinks kLinks("https://unsub.example.com/u", "0123456789abcdef0123456789abcdef",
                              std::chrono::hours(24 * 30));

std::string token_of(const std::string& url) {
    return url.substr(url.rfind('/') + 1);
}

TEST(Base64Url, RoundTripsEveryLengthAndRefusesOtherEncodings) {
    for (std::string text : {"", "a", "ab", "abc", "abcd", "\xff\xfe\n|x"}) {
        const auto encoded = base64url(text);
        EXPECT_EQ(encoded.find_first_of("+/="), std::string::npos);
        EXPECT_EQ(from_base64url(encoded), text);
    }
    EXPECT_FALSE(from_base64url("a+b"));
    EXPECT_FALSE(from_base64url("YR"));  // non-zero padding bits: a second spelling of "a"
}

TEST(UnsubscribeLinks, NameTheDomainTheListAndTheRecipient) {
    const auto url = kLinks.url("Example.COM", "news.example.com", "Bob@Example.NET", kNow);
    EXPECT_TRUE(url.starts_with("https://unsub.example.com/u/")) << url;
    const auto verdict = kLinks.verify(token_of(url), kNow + 24h);
    ASSERT_TRUE(verdict.claim);
    EXPECT_EQ(verdict.claim->domain, "example.com");
    EXPECT_EQ(verdict.claim->list, "news.example.com");
    EXPECT_EQ(verdict.claim->recipient, "bob@example.net");
}

TEST(UnsubscribeLinks, RefuseForgedDamagedAndExpiredTokens) {
    const auto token = token_of(kLinks.url("example.com", "", "bob@example.net", kNow));
    std::string other_mac = token;
    other_mac.back() = other_mac.back() == 'A' ? 'B' : 'A';
    EXPECT_EQ(kLinks.verify(other_mac, kNow).refusal, UnsubscribeLinks::Refusal::forged);
    // Another recipient in the payload, the old mac: forged.
    const auto other = token_of(kLinks.url("example.com", "", "eve@example.net", kNow));
    const std::string spliced = other.substr(0, other.find('.')) + token.substr(token.find('.'));
    EXPECT_EQ(kLinks.verify(spliced, kNow).refusal, UnsubscribeLinks::Refusal::forged);
    EXPECT_EQ(kLinks.verify("nodot", kNow).refusal, UnsubscribeLinks::Refusal::malformed);
    EXPECT_EQ(kLinks.verify("!!.x", kNow).refusal, UnsubscribeLinks::Refusal::malformed);
    EXPECT_EQ(kLinks.verify(token, kNow + 31 * 24h).refusal, UnsubscribeLinks::Refusal::expired);
    const UnsubscribeLinks other_key("https://unsub.example.com/u", "another key, another herald",
                                     24h);
    EXPECT_EQ(other_key.verify(token, kNow).refusal, UnsubscribeLinks::Refusal::forged);
}

message::Envelope envelope(std::vector<std::string> recipients,
                           std::string sender = "news@example.com") {
    message::Envelope e;
    e.sender = std::move(sender);
    e.recipients = std::move(recipients);
    return e;
}

const UnsubscribeHeaders kHeaders(kLinks, {"example.com"});

TEST(UnsubscribeHeaders, AddsOneClickFieldsForOneRecipientOfACoveredSender) {
    const auto headers = message::HeaderBlock::parse(
        "From: news@example.com\r\nList-Id: News <news.example.com>\r\nSubject: x\r\n\r\n");
    const auto decision = kHeaders.decide(envelope({"bob@example.net"}), headers, kNow);
    EXPECT_TRUE(decision.note.empty());
    EXPECT_TRUE(decision.fields.starts_with("List-Unsubscribe: <https://unsub.example.com/u/"))
        << decision.fields;
    EXPECT_TRUE(
        decision.fields.ends_with(">\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
    const auto added = message::HeaderBlock::parse(decision.fields + "\r\n");
    const std::string value = added.find("List-Unsubscribe")->value;
    const auto url = value.substr(1, value.size() - 2);
    const auto claim = kLinks.verify(token_of(url), kNow).claim;
    ASSERT_TRUE(claim);
    EXPECT_EQ(claim->list, "news.example.com");
}

TEST(UnsubscribeHeaders, LeavesOtherSendersAndSharedMessagesAlone) {
    const auto headers = message::HeaderBlock::parse("Subject: x\r\n\r\n");
    EXPECT_TRUE(
        kHeaders.decide(envelope({"b@x.net"}, "a@other.example"), headers, kNow).fields.empty());
    EXPECT_TRUE(kHeaders.decide(envelope({"b@x.net"}, ""), headers, kNow).fields.empty());
    const auto shared = kHeaders.decide(envelope({"b@x.net", "c@y.net"}), headers, kNow);
    EXPECT_TRUE(shared.fields.empty());
    EXPECT_NE(shared.note.find("2 recipients share the message"), std::string::npos);
}

TEST(UnsubscribeHeaders, KeepsTheMessagesOwnHeadersAndSaysWhenTheyAreNotOneClick) {
    const auto good = message::HeaderBlock::parse(
        "List-Unsubscribe: <https://x.example/u/1>, <mailto:u@x.example>\r\n"
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\r\n");
    auto decision = kHeaders.decide(envelope({"b@x.net"}), good, kNow);
    EXPECT_TRUE(decision.fields.empty());
    EXPECT_TRUE(decision.note.empty());
    const auto mailto_only =
        message::HeaderBlock::parse("List-Unsubscribe: <mailto:u@x.example>\r\n\r\n");
    decision = kHeaders.decide(envelope({"b@x.net"}), mailto_only, kNow);
    EXPECT_TRUE(decision.fields.empty());
    EXPECT_NE(decision.note.find("no <https://...> URI"), std::string::npos) << decision.note;
    const auto no_post = message::HeaderBlock::parse("List-Unsubscribe: <https://x/u>\r\n\r\n");
    EXPECT_NE(kHeaders.decide(envelope({"b@x.net"}), no_post, kNow).note.find("Post is missing"),
              std::string::npos);
}
TEST(UnsubscribeCovers, TheListedDomainsOrEveryOneForAStar) {
    EXPECT_TRUE(unsubscribe_covers({"example.com", "shop.example"}, "shop.example"));
    EXPECT_FALSE(unsubscribe_covers({"example.com"}, "sub.example.com"));
    EXPECT_TRUE(unsubscribe_covers({"*"}, "anything.example"));
    EXPECT_FALSE(unsubscribe_covers({}, "example.com"));
}

TEST(UnsubscribeHeaders, AMailtoComesAfterTheHttpsLinkWithTheSameTokenAsItsSubject) {
    const UnsubscribeHeaders with_mailto(kLinks, {"example.com"},
                                         "unsubscribe@bounces.example.com");
    const auto headers = message::HeaderBlock::parse("From: news@example.com\r\n\r\n");
    const auto decision = with_mailto.decide(envelope({"bob@example.net"}), headers, kNow);
    const auto added = message::HeaderBlock::parse(decision.fields + "\r\n");
    const std::string value = added.find("List-Unsubscribe")->value;  // unfolded
    const auto comma = value.find(">, <mailto:unsubscribe@bounces.example.com?subject=");
    ASSERT_NE(comma, std::string::npos) << value;
    const std::string url = value.substr(1, comma - 1);
    const std::string subject = value.substr(value.find("?subject=") + 9);
    EXPECT_EQ(subject, token_of(url) + ">");
    EXPECT_TRUE(one_click_problem(added).empty()) << one_click_problem(added);
}

// --- The page and the mail that take the tokens ---------------------------------------------

class Collector final : public events::EventSink {
  public:
    std::string_view name() const override { return "collector"; }
    void take(const events::Event& event, std::string_view) override { seen.push_back(event); }
    std::vector<events::Event> seen;
};

class UnsubscribeMailTest : public ::testing::Test {
  protected:
    UnsubscribeMailTest() {
        auto collector = std::make_unique<Collector>();
        seen_ = collector.get();
        hub_.add(std::move(collector));
    }
    events::EventHub hub_;
    Collector* seen_ = nullptr;
    std::vector<std::string> notes_;
    UnsubscribeEndpoint endpoint_{kLinks, hub_,
                                  [this](const std::string& line) { notes_.push_back(line); }};
};

TEST_F(UnsubscribeMailTest, AMailWithTheTokenInItsSubjectUnsubscribes) {
    const auto url = kLinks.url("example.com", "news.example.com", "bob@example.net",
                                UnsubscribeLinks::Clock::now());
    endpoint_.take_mail("From: bob@example.net\r\nSubject: Re: " + token_of(url) + "\r\n\r\nx",
                        "[192.0.2.7]");
    ASSERT_EQ(seen_->seen.size(), 1u);
    const auto& event = seen_->seen.front();
    EXPECT_EQ(event.type, events::EventType::unsubscribed);
    EXPECT_EQ(event.recipient, "bob@example.net");
    EXPECT_EQ(event.domain, "example.com");
    EXPECT_EQ(event.list, "news.example.com");
    EXPECT_EQ(event.reason, "mailto unsubscribe from [192.0.2.7]");
    EXPECT_EQ(endpoint_.count(UnsubscribeEndpoint::Outcome::unsubscribed), 1u);
}

TEST_F(UnsubscribeMailTest, AMailWithoutAValidTokenIsCountedAndUnsubscribesNoOne) {
    const auto url =
        kLinks.url("example.com", "", "bob@example.net", UnsubscribeLinks::Clock::now());
    std::string forged = token_of(url);
    char& mac_start = forged[forged.find('.') + 1];  // all 6 bits count, unlike the last one's
    mac_start = mac_start == 'A' ? 'B' : 'A';
    endpoint_.take_mail("Subject: " + forged + "\r\n\r\n", "local");
    endpoint_.take_mail("Subject: please unsubscribe me\r\n\r\n", "local");
    endpoint_.take_mail("X-No-Subject: 1\r\n\r\n", "local");
    EXPECT_TRUE(seen_->seen.empty());
    EXPECT_EQ(endpoint_.count(UnsubscribeEndpoint::Outcome::forged), 1u);
    EXPECT_EQ(endpoint_.count(UnsubscribeEndpoint::Outcome::malformed), 2u);
    ASSERT_EQ(notes_.size(), 3u);
    EXPECT_EQ(notes_.front(), "unsubscribe: refused a forged mailto unsubscribe from local");
}

}  // namespace
}  // namespace herald::compliance
