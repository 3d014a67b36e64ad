#include "queue/queue_filter.hpp"

#include <gtest/gtest.h>

#include "config/config.hpp"
#include "spool/spool.hpp"

namespace herald::queue {
namespace {

using namespace std::chrono_literals;
using Clock = QueueFilter::Clock;
using Parameters = std::vector<QueueFilter::Parameter>;

const Clock::time_point kNow = Clock::time_point(std::chrono::hours(500000));

spool::SpooledMessage message(std::string sender, std::vector<std::string> recipients,
                              std::chrono::seconds age = 60s, bool held = false) {
    spool::SpooledMessage m{.id = "0abc123def4560001xyz", .held = held};
    m.envelope.sender = std::move(sender);
    m.envelope.arrival = kNow - age;
    for (auto& r : recipients) m.recipients.push_back({std::move(r)});
    return m;
}

QueueFilter parsed(Parameters parameters) {
    auto filter = QueueFilter::parse(parameters);
    EXPECT_TRUE(filter) << filter.error();
    return filter ? *filter : QueueFilter{};
}

// Mail from news@ goes through "bulk", the rest through "mx".
std::string by_sender(std::string_view sender, std::string_view) {
    return sender.starts_with("news@") ? "bulk" : "mx";
}

TEST(QueueFilter, AnEmptyFilterMatchesEverything) {
    QueueFilter filter = parsed({});
    EXPECT_TRUE(filter.empty());
    EXPECT_TRUE(filter.matches(message("", {"a@example.net"}), kNow));
}

TEST(QueueFilter, MatchesTheSenderByAddressDomainOrNullSender) {
    const auto from_alice = message("Alice@Example.com", {"x@example.net"});
    const auto bounce = message("", {"x@example.net"});
    EXPECT_TRUE(parsed({{"sender", "alice@example.com"}}).matches(from_alice, kNow));
    EXPECT_FALSE(parsed({{"sender", "bob@example.com"}}).matches(from_alice, kNow));
    EXPECT_TRUE(parsed({{"sender", "@EXAMPLE.com"}}).matches(from_alice, kNow));
    EXPECT_TRUE(parsed({{"sender", "*@example.com"}}).matches(from_alice, kNow));
    EXPECT_FALSE(parsed({{"sender", "@example.org"}}).matches(from_alice, kNow));
    EXPECT_TRUE(parsed({{"sender", "<>"}}).matches(bounce, kNow));
    EXPECT_FALSE(parsed({{"sender", "<>"}}).matches(from_alice, kNow));
    EXPECT_FALSE(parsed({{"sender", "@example.com"}}).matches(bounce, kNow));
}

TEST(QueueFilter, RecipientCriteriaLookOnlyAtPendingRecipients) {
    auto m = message("a@example.com", {"done@example.org", "wait@example.net"});
    m.recipients[0].state = spool::RecipientState::delivered;
    EXPECT_FALSE(parsed({{"recipient", "done@example.org"}}).matches(m, kNow));
    EXPECT_FALSE(parsed({{"domain", "example.org"}}).matches(m, kNow));
    EXPECT_TRUE(parsed({{"recipient", "WAIT@example.net"}}).matches(m, kNow));
    EXPECT_TRUE(parsed({{"recipient", "@example.net"}}).matches(m, kNow));
    EXPECT_TRUE(parsed({{"domain", "Example.NET"}}).matches(m, kNow));
}

TEST(QueueFilter, RecipientDomainAndTransportMustHoldForOneRecipient) {
    const auto m = message("a@example.com", {"x@example.org", "y@example.net"});
    EXPECT_FALSE(
        parsed({{"recipient", "x@example.org"}, {"domain", "example.net"}}).matches(m, kNow));
    EXPECT_TRUE(
        parsed({{"recipient", "y@example.net"}, {"domain", "example.net"}}).matches(m, kNow));
}

TEST(QueueFilter, TransportIsWhatTheRouterNames) {
    const auto news = message("news@example.com", {"x@example.org"});
    const auto other = message("a@example.com", {"x@example.org"});
    const QueueFilter bulk = parsed({{"transport", "bulk"}});
    EXPECT_TRUE(bulk.matches(news, kNow, by_sender));
    EXPECT_FALSE(bulk.matches(other, kNow, by_sender));
    // Nobody to ask: nothing can be said to go through "bulk".
    EXPECT_FALSE(bulk.matches(news, kNow));
}

TEST(QueueFilter, AgeBoundsAreStrict) {
    const auto hour_old = message("a@example.com", {"x@example.org"}, 3600s);
    EXPECT_TRUE(parsed({{"older_than", "59m"}}).matches(hour_old, kNow));
    EXPECT_FALSE(parsed({{"older_than", "2h"}}).matches(hour_old, kNow));
    EXPECT_TRUE(parsed({{"younger_than", "2h"}}).matches(hour_old, kNow));
    EXPECT_FALSE(parsed({{"younger_than", "30m"}}).matches(hour_old, kNow));
    EXPECT_TRUE(parsed({{"older_than", "30m"}, {"younger_than", "1h30m"}}).matches(hour_old, kNow));
}

TEST(QueueFilter, HeldYesOrNo) {
    const auto held = message("a@example.com", {"x@example.org"}, 60s, true);
    const auto free = message("a@example.com", {"x@example.org"}, 60s, false);
    EXPECT_TRUE(parsed({{"held", "yes"}}).matches(held, kNow));
    EXPECT_FALSE(parsed({{"held", "yes"}}).matches(free, kNow));
    EXPECT_TRUE(parsed({{"held", "no"}}).matches(free, kNow));
}

TEST(QueueFilter, RefusesBadValuesNamingTheParameter) {
    for (Parameters bad : std::vector<Parameters>{
             {{"sender", "nobody"}},
             {{"sender", "a@b@"}},
             {{"sender", "a b@example.com"}},
             {{"recipient", "x@"}},
             {{"recipient", "<>"}},
             {{"domain", "not a domain"}},
             {{"domain", "exa_mple..net"}},
             {{"domain", ""}},
             {{"transport", ""}},
             {{"transport", "two words"}},
             {{"older_than", "soon"}},
             {{"younger_than", "-3h"}},
             {{"held", "maybe"}},
         }) {
        auto filter = QueueFilter::parse(bad);
        ASSERT_FALSE(filter) << bad[0].first << "=" << bad[0].second;
        EXPECT_TRUE(filter.error().starts_with(bad[0].first + ":")) << filter.error();
    }
    EXPECT_FALSE(QueueFilter::parse(Parameters{{"colour", "red"}}));
    EXPECT_FALSE(QueueFilter::parse(Parameters{{"held", "yes"}, {"held", "no"}}));
}

TEST(QueueFilter, TextRoundTrips) {
    const QueueFilter filter = parsed({{"sender", "<>"},
                                       {"recipient", "@Example.net"},
                                       {"domain", "example.net"},
                                       {"transport", "mx"},
                                       {"older_than", "1h30m"},
                                       {"younger_than", "3d"},
                                       {"held", "no"}});
    const std::string text = filter.to_text();
    EXPECT_EQ(text,
              "sender=<> recipient=@example.net domain=example.net transport=mx "
              "older_than=5400s younger_than=259200s held=no");
    auto again = QueueFilter::from_text(text);
    ASSERT_TRUE(again) << again.error();
    EXPECT_EQ(again->to_text(), text);
    EXPECT_TRUE(QueueFilter::from_text("")->empty());
    EXPECT_FALSE(QueueFilter::from_text("sender"));
}

TEST(QueueFilter, NamesTransportsAsTheConfiguredRouterWould) {
    config::Config config;
    config.local.domains = {"example.com"};
    config.transports = {{.name = "relay"}, {.name = "mx"}};
    config.routes = {{.sender = "*@brand.example", .transport = "relay"},
                     {.sender = "*", .transport = "mx"}};
    const auto transport_of = transport_names(config);
    EXPECT_EQ(transport_of("a@brand.example", "x@example.net"), "relay");
    EXPECT_EQ(transport_of("a@other.example", "x@example.net"), "mx");
    EXPECT_EQ(transport_of("a@brand.example", "x@EXAMPLE.com"), "local");
    config.routes.clear();
    EXPECT_EQ(transport_names(config)("a@brand.example", "x@example.net"), "null");
}

}  // namespace
}  // namespace herald::queue
