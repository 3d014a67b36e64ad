#include "delivery/shaping/traffic_shaper.hpp"

#include <gtest/gtest.h>

#include <boost/json/object.hpp>

namespace herald::delivery {
namespace {

using namespace std::chrono_literals;
using Clock = TrafficShaper::Clock;
using Action = config::ShapingRule::Action;

const Clock::time_point kStart{std::chrono::days(20000) + 10h};
const std::string kSource = "192.0.2.10";
constexpr std::string_view kThrottled = "421 4.7.28 unusual rate of unsolicited mail";

config::Provider bigmail(std::size_t per_hour = 600) {
    return {.name = "bigmail", .mx = {"*.bigmail.test"}, .max_messages_per_hour = per_hour};
}

config::Shaping settings(std::vector<config::ShapingRule> rules) {
    return {.quiet_period = config::Seconds{60}, .recovery_step = 0.25, .rules = std::move(rules)};
}

config::ShapingRule rule(std::string name, Action action) {
    return {.name = std::move(name), .provider = "bigmail", .code = 421, .action = action};
}

struct Shaper {
    std::vector<std::string> lines;
    TrafficShaper shaper;
    explicit Shaper(std::vector<config::ShapingRule> rules)
        : shaper(settings(std::move(rules)), [this](const std::string& l) { lines.push_back(l); }) {
    }
};

TEST(TrafficShaper, PacesAtTheConfiguredRate) {
    Shaper s({});
    const auto provider = bigmail(3600);  // one a second
    EXPECT_EQ(s.shaper.admit(kSource, provider, "a", kStart).at, kStart);
    const auto second = s.shaper.admit(kSource, provider, "b", kStart);
    EXPECT_EQ(second.at, kStart + 1s);
    EXPECT_EQ(second.why, "shaping: bigmail gets 3600/h from 192.0.2.10");
    // Another source address is another sender to the provider.
    EXPECT_EQ(s.shaper.admit("192.0.2.11", provider, "c", kStart).at, kStart);
}

TEST(TrafficShaper, AReplyHalvesTheRateOnceForABurstAndSaysSo) {
    auto reduce = rule("bigmail-rate", Action::reduce_rate);
    reduce.factor = 0.5;
    Shaper s({reduce});
    const auto provider = bigmail(600);
    auto reaction = s.shaper.react(kSource, provider, 5, kThrottled, kStart);
    ASSERT_TRUE(reaction);
    EXPECT_EQ(reaction->action, Action::reduce_rate);
    EXPECT_EQ(reaction->retry_at, kStart + 12s);  // the new rate's interval
    // The messages in flight draw the same reply: no second halving.
    s.shaper.react(kSource, provider, 5, kThrottled, kStart + 1s);
    ASSERT_EQ(s.lines.size(), 1u);
    EXPECT_EQ(s.lines[0],
              "shaping: bigmail from 192.0.2.10: rate 600/h -> 300/h (421 4.7.28 matched rule "
              "'bigmail-rate')");
    // Once the new rate has had its chance, another reply halves it again.
    s.shaper.react(kSource, provider, 5, kThrottled, kStart + 30s);
    EXPECT_EQ(s.lines.back(),
              "shaping: bigmail from 192.0.2.10: rate 300/h -> 150/h (421 4.7.28 matched rule "
              "'bigmail-rate')");
}

TEST(TrafficShaper, RecoversAStepEachQuietPeriodUpToTheConfiguredRate) {
    Shaper s({rule("r", Action::reduce_rate)});
    const auto provider = bigmail(600);
    s.shaper.react(kSource, provider, 5, kThrottled, kStart);  // 300/h
    s.shaper.admit(kSource, provider, "a", kStart + 59s);
    EXPECT_EQ(s.lines.size(), 1u);  // not quiet long enough yet
    s.shaper.admit(kSource, provider, "b", kStart + 60s);
    EXPECT_EQ(s.lines.back(),
              "shaping: bigmail from 192.0.2.10: rate 300/h -> 450/h (quiet for 1m)");
    s.shaper.admit(kSource, provider, "c", kStart + 130s);
    EXPECT_EQ(s.lines.back(),
              "shaping: bigmail from 192.0.2.10: rate 450/h -> 600/h (quiet for 1m)");
    const auto status = s.shaper.status(provider, kStart + 200s);
    ASSERT_EQ(status.size(), 1u);
    EXPECT_EQ(status[0].as_object().at("rate_per_hour").as_int64(), 600);
    EXPECT_TRUE(status[0].as_object().at("relaxes_at").is_null());
}

TEST(TrafficShaper, WithoutAConfiguredRateReducesFromTheRateTheProviderAccepted) {
    Shaper s({rule("r", Action::reduce_rate)});
    const auto provider = bigmail(0);
    // 20 accepted over ten seconds: 7200 an hour.
    for (int i = 0; i < 20; ++i) s.shaper.accepted(kSource, provider, kStart + i * 500ms);
    s.shaper.react(kSource, provider, 5, kThrottled, kStart + 10s);
    EXPECT_NE(s.lines.back().find("rate 7200/h -> 3600/h"), std::string::npos) << s.lines.back();
    // Recovered all the way, the limit is lifted: nothing was configured.
    s.shaper.admit(kSource, provider, "a", kStart + 10s + 240s);
    EXPECT_NE(s.lines.back().find("-> no limit (quiet for 1m)"), std::string::npos)
        << s.lines.back();
    EXPECT_EQ(s.shaper.admit(kSource, provider, "b", kStart + 251s).at, kStart + 251s);
    EXPECT_EQ(s.shaper.admit(kSource, provider, "c", kStart + 251s).at, kStart + 251s);
    // Throttled again, it starts from where it recovered to, not from the minute it was paced
    // at a lower rate (two accepted in it).
    s.shaper.accepted(kSource, provider, kStart + 300s);
    s.shaper.accepted(kSource, provider, kStart + 310s);
    s.shaper.react(kSource, provider, 5, kThrottled, kStart + 320s);
    EXPECT_NE(s.lines.back().find("rate 7200/h -> 3600/h"), std::string::npos) << s.lines.back();
}

TEST(TrafficShaper, CapsConnectionsAndGivesThemBackOneAtATime) {
    auto cap = rule("cap", Action::cap_connections);
    cap.connections = 1;
    Shaper s({cap});
    const auto provider = bigmail();
    EXPECT_EQ(s.shaper.max_connections(kSource, provider, 3, kStart), 3u);
    s.shaper.react(kSource, provider, 3, "421 4.3.2 too many connections", kStart);
    EXPECT_EQ(s.lines.back(),
              "shaping: bigmail from 192.0.2.10: connections 3 -> 1 (421 4.3.2 matched rule "
              "'cap')");
    EXPECT_EQ(s.shaper.max_connections(kSource, provider, 3, kStart + 1s), 1u);
    EXPECT_EQ(s.shaper.max_connections(kSource, provider, 3, kStart + 60s), 2u);
    EXPECT_EQ(s.shaper.max_connections(kSource, provider, 3, kStart + 120s), 3u);
    EXPECT_EQ(s.lines.back(),
              "shaping: bigmail from 192.0.2.10: connections 2 -> no cap (quiet for 1m)");
}

TEST(TrafficShaper, SuspendsThePairUntilItsTimeOrAReset) {
    auto suspend = rule("stop", Action::suspend);
    suspend.duration = config::Seconds{600};
    Shaper s({suspend});
    const auto provider = bigmail();
    const auto reaction =
        s.shaper.react(kSource, provider, 5, "421 4.7.0 [TSS04] deferred", kStart);
    ASSERT_TRUE(reaction);
    EXPECT_EQ(reaction->retry_at, kStart + 600s);
    const auto held = s.shaper.admit(kSource, provider, "a", kStart + 1s);
    EXPECT_EQ(held.at, kStart + 600s);
    EXPECT_NE(held.why.find("is suspended until"), std::string::npos);
    // Another source address is not suspended.
    EXPECT_EQ(s.shaper.admit("192.0.2.11", provider, "b", kStart + 1s).at, kStart + 1s);
    s.shaper.reset("bigmail");
    EXPECT_EQ(s.lines.back(), "shaping: bigmail: reactions cleared by the administrator");
    EXPECT_EQ(s.shaper.admit(kSource, provider, "a", kStart + 2s).at, kStart + 2s);
}

TEST(TrafficShaper, BouncesWhatARuleSaysIsUselessToRetry) {
    Shaper s({rule("useless", Action::bounce)});
    const auto reaction =
        s.shaper.react(kSource, bigmail(), 5, "421 retrying will not succeed", kStart);
    ASSERT_TRUE(reaction);
    EXPECT_EQ(reaction->action, Action::bounce);
    EXPECT_FALSE(s.shaper.react(kSource, bigmail(), 5, "250 ok", kStart));
}

TEST(TrafficShaper, StopsAtTheDailyLimitUntilTheNextDay) {
    Shaper s({});
    auto provider = bigmail(0);
    provider.max_messages_per_day = 2;
    EXPECT_EQ(s.shaper.admit(kSource, provider, "a", kStart).at, kStart);
    EXPECT_EQ(s.shaper.admit(kSource, provider, "b", kStart).at, kStart);
    const auto third = s.shaper.admit(kSource, provider, "c", kStart);
    EXPECT_EQ(third.at, kStart + 14h);  // kStart is 10:00 UTC
    EXPECT_EQ(s.shaper.admit(kSource, provider, "c", kStart + 14h).at, kStart + 14h);
}

TEST(TrafficShaper, AWarmingAddressGetsADailyCapThatGrowsFromItsFirstDay) {
    const std::vector<config::IpPool> pools{
        {.name = "out",
         .addresses = {{.address = kSource, .warmup_start = 2, .warmup_factor = 2},
                       {.address = "192.0.2.11"}}}};
    std::vector<std::string> lines;
    TrafficShaper shaper(
        settings({}), [&lines](const std::string& l) { lines.push_back(l); }, pools);
    const auto provider = bigmail(0);
    EXPECT_EQ(shaper.admit(kSource, provider, "a", kStart).at, kStart);
    EXPECT_EQ(shaper.admit(kSource, provider, "b", kStart).at, kStart);
    const auto held = shaper.admit(kSource, provider, "c", kStart);
    EXPECT_EQ(held.at, kStart + 14h);
    EXPECT_EQ(held.why,
              "shaping: bigmail takes 2 messages a day from 192.0.2.10 (warm-up day 1); today's "
              "are sent");
    // An address of the pool without warm-up has no cap.
    for (int i = 0; i < 10; ++i) {
        EXPECT_EQ(shaper.admit("192.0.2.11", provider, std::to_string(i), kStart).at, kStart);
    }
    // The next day, twice as many; the first day is kept across a restart.
    TrafficShaper restarted(settings({}), {}, pools);
    ASSERT_TRUE(restarted.restore(shaper.save()));
    const auto tomorrow = kStart + 24h;
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(restarted.admit(kSource, provider, std::to_string(i), tomorrow).at, tomorrow);
    }
    EXPECT_GT(restarted.admit(kSource, provider, "x", tomorrow).at, tomorrow);
    const auto status = restarted.status(provider, tomorrow);
    ASSERT_EQ(status.size(), 2u);  // both addresses, in order
    EXPECT_EQ(status[0].as_object().at("source").as_string(), kSource);
    EXPECT_EQ(status[0].as_object().at("daily_limit").as_uint64(), 4u);
    EXPECT_EQ(status[0].as_object().at("warmup_day").as_int64(), 2);
    EXPECT_TRUE(status[1].as_object().at("daily_limit").is_null());
}

TEST(TrafficShaper, ItsStateSurvivesSaveAndRestore) {
    auto suspend = rule("stop", Action::suspend);
    Shaper before({rule("r", Action::reduce_rate), suspend});
    const auto provider = bigmail(600);
    before.shaper.admit(kSource, provider, "a", kStart);
    before.shaper.react(kSource, provider, 5, "421 4.7.28 slow down", kStart);
    EXPECT_TRUE(before.shaper.take_changed());
    EXPECT_FALSE(before.shaper.take_changed());

    Shaper after({rule("r", Action::reduce_rate)});
    ASSERT_TRUE(after.shaper.restore(before.shaper.save()));
    const auto status = after.shaper.status(provider, kStart + 1s);
    ASSERT_EQ(status.size(), 1u);
    const auto& entry = status[0].as_object();
    EXPECT_EQ(entry.at("rate_per_hour").as_int64(), 300);
    EXPECT_EQ(entry.at("sent_today").as_uint64(), 1u);
    EXPECT_EQ(entry.at("last_rule").as_string(), "r");
    EXPECT_FALSE(after.shaper.restore("{\"pairs\": [{\"source\": 1}]}"));
    EXPECT_FALSE(after.shaper.restore("not json"));
}

TEST(TrafficShaper, CountsActionsAndMatchesForTheMetrics) {
    Shaper s({rule("r", Action::reduce_rate)});
    s.shaper.react(kSource, bigmail(), 5, kThrottled, kStart);
    s.shaper.react(kSource, bigmail(), 5, kThrottled, kStart);
    const auto figures = s.shaper.figures(kStart);
    ASSERT_EQ(figures.pairs.size(), 1u);
    EXPECT_EQ(figures.pairs[0].actions.at("reduce_rate"), 1u);
    EXPECT_EQ(figures.pairs[0].rate, 300);
    EXPECT_EQ(figures.matches.at({"bigmail", "r"}), 2u);
}

}  // namespace
}  // namespace herald::delivery

namespace herald::delivery {
namespace {

TEST(TrafficShaper, TellsItsReactionsAndAdoptsAnotherNodesStricterOnes) {
    auto suspend = rule("stop", Action::suspend);
    suspend.duration = config::Seconds{600};
    Shaper told({suspend});
    std::vector<TrafficShaper::SharedReaction> reactions;
    told.shaper.set_observer(
        [&](const TrafficShaper::SharedReaction& r) { reactions.push_back(r); });
    const auto provider = bigmail();
    ASSERT_TRUE(told.shaper.react(kSource, provider, 5, "421 4.7.0 [TSS04] deferred", kStart));
    ASSERT_EQ(reactions.size(), 1u);
    EXPECT_EQ(reactions[0].source, kSource);
    EXPECT_EQ(reactions[0].provider, "bigmail");
    EXPECT_EQ(reactions[0].suspended_until, kStart + 600s);

    Shaper other({suspend});
    other.shaper.adopt(reactions[0], "node-a", kStart + 1s);
    EXPECT_EQ(other.lines.back().rfind("shaping: bigmail from 192.0.2.10: suspended until ", 0),
              0u);
    EXPECT_NE(other.lines.back().find("(node node-a was told: rule 'stop')"), std::string::npos);
    EXPECT_EQ(other.shaper.admit(kSource, provider, "b", kStart + 2s).at, kStart + 600s);
    // Adopted, not told again: the other node does not echo it back.
    EXPECT_EQ(reactions.size(), 1u);
    // An older, milder state changes nothing and says nothing.
    const auto lines = other.lines.size();
    auto milder = reactions[0];
    milder.suspended_until = kStart + 60s;
    other.shaper.adopt(milder, "node-c", kStart + 3s);
    EXPECT_EQ(other.lines.size(), lines);
}

TEST(TrafficShaper, AdoptsTheLowerRateAndConnectionCap) {
    Shaper s({});
    TrafficShaper::SharedReaction r{.source = kSource,
                                    .provider = "bigmail",
                                    .rule = "slow",
                                    .rate = 60,
                                    .ceiling = 600,
                                    .connections = 1,
                                    .connections_ceiling = 5};
    s.shaper.adopt(r, "a", kStart);
    EXPECT_EQ(s.shaper.max_connections(kSource, bigmail(), 5, kStart), 1u);
    const auto provider = bigmail();
    EXPECT_EQ(s.shaper.admit(kSource, provider, "m1", kStart).at, kStart);
    EXPECT_GE(s.shaper.admit(kSource, provider, "m2", kStart).at, kStart + 59s);
}

}  // namespace
}  // namespace herald::delivery

namespace herald::delivery {
namespace {

TEST(TrafficShaper, CountsWhatOtherNodesSentAgainstTheDailyCap) {
    Shaper s({});
    auto provider = bigmail(0);  // no pacing: only the daily cap holds anything back
    provider.max_messages_per_day = 5;
    const auto today =
        std::chrono::duration_cast<std::chrono::days>(kStart.time_since_epoch()).count();
    for (int i = 0; i < 2; ++i) s.shaper.admit(kSource, provider, "m" + std::to_string(i), kStart);
    auto told = s.shaper.take_unshared();
    ASSERT_EQ(told.size(), 1u);
    EXPECT_EQ(told[0].sent, 2u);
    EXPECT_EQ(told[0].day, today);
    EXPECT_TRUE(s.shaper.take_unshared().empty());
    // The cluster's total: these 2 and another node's 2; one more message, then the day is over.
    s.shaper.adopt_sent({.source = kSource, .provider = "bigmail", .day = today, .sent = 4});
    EXPECT_EQ(s.shaper.admit(kSource, provider, "m2", kStart + 1h).at, kStart + 1h);
    const auto held = s.shaper.admit(kSource, provider, "m3", kStart + 1h);
    EXPECT_GT(held.at, kStart + 1h);
    EXPECT_NE(held.why.find("takes 5 messages a day"), std::string::npos) << held.why;
    // What could not be told is told next time.
    auto again = s.shaper.take_unshared();
    ASSERT_EQ(again.size(), 1u);
    s.shaper.untold(again[0]);
    EXPECT_EQ(s.shaper.take_unshared()[0].sent, 1u);
}

}  // namespace
}  // namespace herald::delivery

namespace herald::delivery {
namespace {

TEST(TrafficShaper, NodesSharingAnAddressEachTakeTheirPartOfTheProvidersLimits) {
    Shaper s({});
    auto provider = bigmail(3600);
    EXPECT_EQ(s.shaper.admit(kSource, provider, "m0", kStart).at, kStart);
    EXPECT_EQ(s.shaper.max_connections(kSource, provider, 5, kStart), 5u);
    s.shaper.set_sharers({{{kSource, "bigmail"}, 2}});
    EXPECT_EQ(s.shaper.max_connections(kSource, provider, 5, kStart), 2u);
    // 1,800 an hour: one message every 2 s.
    EXPECT_EQ(s.shaper.admit(kSource, provider, "m1", kStart + 2s).at, kStart + 2s);
    EXPECT_EQ(s.shaper.admit(kSource, provider, "m2", kStart + 2s).at, kStart + 4s);
    const auto status = s.shaper.status(provider, kStart + 3s);
    ASSERT_EQ(status.size(), 1u);
    EXPECT_EQ(status[0].as_object().at("nodes_sharing").as_uint64(), 2u);
    EXPECT_EQ(status[0].as_object().at("rate_per_hour").as_int64(), 1800);
    // Alone again: the whole limit.
    s.shaper.set_sharers({});
    EXPECT_EQ(s.shaper.max_connections(kSource, provider, 5, kStart), 5u);
}

}  // namespace
}  // namespace herald::delivery
