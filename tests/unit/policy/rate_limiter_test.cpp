#include "policy/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace herald::policy {
namespace {

using std::chrono::seconds;
using Clock = RateLimiter::Clock;

// 10:00:00 UTC on some day: the start of an hour window.
const Clock::time_point kHour = Clock::time_point(seconds(1'700'000'000 - 1'700'000'000 % 3600));

config::RateLimit rule(std::string match, std::uint64_t count, seconds window) {
    config::RateLimit r;
    r.match = std::move(match);
    r.count = count;
    r.window = window;
    r.limit = std::to_string(count) + "/" + std::to_string(window.count()) + "s";
    return r;
}

const RateSubject kAlice{"alice@example.com", "alice", "192.0.2.1"};

TEST(RateLimiter, RefusesTheMessageOverTheLimitAndNamesIt) {
    RateLimiter limiter({rule("sender", 2, seconds(3600))});
    EXPECT_FALSE(limiter.over_limit(kAlice, kHour));
    limiter.count(kAlice, kHour);
    EXPECT_FALSE(limiter.over_limit(kAlice, kHour + seconds(1)));
    limiter.count(kAlice, kHour + seconds(1));
    auto why = limiter.over_limit(kAlice, kHour + seconds(2));
    ASSERT_TRUE(why);
    EXPECT_EQ(*why, "limit of 2/3600s per sender reached for alice@example.com");
}

TEST(RateLimiter, StartsAFreshCountInTheNextWindow) {
    RateLimiter limiter({rule("sender", 1, seconds(3600))});
    limiter.count(kAlice, kHour + seconds(3599));
    EXPECT_TRUE(limiter.over_limit(kAlice, kHour + seconds(3599)));
    EXPECT_FALSE(limiter.over_limit(kAlice, kHour + seconds(3600)));
}

TEST(RateLimiter, CountsEachKindOfSubjectByItsOwnKey) {
    RateLimiter limiter({rule("sender_domain", 1, seconds(60)), rule("client_ip", 5, seconds(60))});
    limiter.count(kAlice, kHour);
    const RateSubject colleague{"BOB@Example.com", "bob", "192.0.2.2"};
    auto why = limiter.over_limit(colleague, kHour);
    ASSERT_TRUE(why);
    EXPECT_EQ(*why, "limit of 1/60s per sender_domain reached for example.com");
    const RateSubject stranger{"c@other.example", "", "192.0.2.1"};
    EXPECT_FALSE(limiter.over_limit(stranger, kHour));
}

TEST(RateLimiter, NeverLimitsBouncesOrExemptClients) {
    config::RateLimit per_ip = rule("client_ip", 1, seconds(60));
    per_ip.exempt_networks = {"10.0.0.0/8"};
    config::RateLimit per_user = rule("user", 1, seconds(60));
    per_user.exempt_users = {"app"};
    RateLimiter limiter({per_ip, per_user});
    const RateSubject bounce{"", "", "192.0.2.9"};
    limiter.count(bounce, kHour);
    EXPECT_FALSE(limiter.over_limit(bounce, kHour));
    EXPECT_FALSE(limiter.over_limit({"x@y.example", "", "192.0.2.9"}, kHour));
    const RateSubject inside{"x@y.example", "", "10.1.1.1"};
    limiter.count(inside, kHour);
    EXPECT_FALSE(limiter.over_limit(inside, kHour));
    const RateSubject app{"x@y.example", "app", "127.0.0.1"};
    limiter.count(app, kHour);
    limiter.count(app, kHour);
    EXPECT_TRUE(limiter.over_limit(app, kHour));  // the client_ip rule still applies
    EXPECT_EQ(*limiter.over_limit(app, kHour),
              "limit of 1/60s per client_ip reached for 127.0.0.1");
}

TEST(RateLimiter, GivesTrustedClientsASeparateHigherLimit) {
    auto general = rule("sender", 1, seconds(3600));
    general.exempt_networks = {"10.0.0.0/8"};
    general.exempt_users = {"app"};
    auto trusted = rule("sender", 3, seconds(3600));
    trusted.networks = {"10.0.0.0/8"};
    trusted.users = {"app"};
    RateLimiter limiter({general, trusted});
    const RateSubject outsider{"a@example.com", "", "192.0.2.1"};
    const RateSubject inside{"b@example.com", "", "10.1.2.3"};
    const RateSubject app{"c@example.com", "app", "192.0.2.9"};
    for (const auto& subject : {outsider, inside, app}) limiter.count(subject, kHour);
    EXPECT_TRUE(limiter.over_limit(outsider, kHour));  // the general limit of 1
    for (const auto& subject : {inside, app}) {
        EXPECT_FALSE(limiter.over_limit(subject, kHour));
        limiter.count(subject, kHour);
        EXPECT_FALSE(limiter.over_limit(subject, kHour));
        limiter.count(subject, kHour);
        auto why = limiter.over_limit(subject, kHour);  // the trusted limit of 3
        ASSERT_TRUE(why);
        EXPECT_NE(why->find("limit of 3/"), std::string::npos) << *why;
    }
}

TEST(RateLimiter, CarriesCountsAcrossARestartWithinTheWindow) {
    const auto rules = std::vector{rule("sender", 3, seconds(3600)), rule("user", 9, seconds(60))};
    RateLimiter before(rules);
    before.count(kAlice, kHour);
    before.count(kAlice, kHour);
    const std::string saved = before.save(kHour + seconds(10));

    RateLimiter after(rules);
    after.load(saved, kHour + seconds(20));
    EXPECT_FALSE(after.over_limit(kAlice, kHour + seconds(20)));
    after.count(kAlice, kHour + seconds(20));
    EXPECT_TRUE(after.over_limit(kAlice, kHour + seconds(20)));

    RateLimiter next_hour(rules);
    next_hour.load(saved, kHour + seconds(3600));
    EXPECT_EQ(next_hour.save(kHour + seconds(3600)), "");

    RateLimiter changed_rule({rule("sender", 4, seconds(3600))});
    changed_rule.load(saved, kHour + seconds(20));
    EXPECT_EQ(changed_rule.save(kHour + seconds(20)), "");
}

TEST(RateLimiter, SkipsSavedLinesItCannotRead) {
    RateLimiter limiter({rule("sender", 3, seconds(3600))});
    const std::string start =
        std::to_string(std::chrono::duration_cast<seconds>(kHour.time_since_epoch()).count());
    limiter.load("garbage\nsender,3,3600 notanumber 1 a@b\nsender,3,3600 " + start +
                     " 99999999999999999999999 a@b\n\nsender,3,3600 " + start + " 3 ok@b\n",
                 kHour);
    EXPECT_TRUE(limiter.over_limit({"ok@b", "", ""}, kHour));
    EXPECT_FALSE(limiter.over_limit({"a@b", "", ""}, kHour));
}

TEST(RateLimiter, SavesToAFileAndReadsItBack) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("herald-rate-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto path = dir / "ratelimits";
    RateLimiter before({rule("sender", 1, seconds(3600))});
    before.count(kAlice, kHour);
    EXPECT_TRUE(before.changed_since_save());
    ASSERT_TRUE(before.save_to(path, kHour).ok());
    EXPECT_FALSE(before.changed_since_save());
    RateLimiter after({rule("sender", 1, seconds(3600))});
    after.load_from(path, kHour);
    EXPECT_TRUE(after.over_limit(kAlice, kHour));
    RateLimiter missing({rule("sender", 1, seconds(3600))});
    missing.load_from(dir / "nothing-here", kHour);
    EXPECT_FALSE(missing.over_limit(kAlice, kHour));
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace herald::policy

namespace herald::policy {
namespace {

TEST(RateLimiter, ChargesNameEachRuleThatCountsTheSubject) {
    config::RateLimit exempt = rule("client_ip", 5, seconds(60));
    exempt.exempt_networks = {"192.0.2.0/24"};
    RateLimiter limiter(
        {rule("sender", 10, seconds(3600)), exempt, rule("user", 3, seconds(86400))});
    auto charges = limiter.charges(kAlice);
    ASSERT_EQ(charges.size(), 2u);
    EXPECT_EQ(charges[0].key, "sender,10,3600 alice@example.com");
    EXPECT_EQ(charges[0].count, 10u);
    EXPECT_EQ(charges[0].window, seconds(3600));
    EXPECT_EQ(charges[0].refusal, "limit of 10/3600s per sender reached for alice@example.com");
    EXPECT_EQ(charges[1].key, "user,3,86400 alice");
    EXPECT_TRUE(limiter.charges({"", "alice", "192.0.2.1"}).empty());  // a bounce
}

TEST(RateLimiter, ADividedLimiterGivesEachNodeItsShare) {
    RateLimiter whole({rule("sender", 10, seconds(3600)), rule("user", 1, seconds(3600))});
    RateLimiter share(whole, 3);
    for (int i = 0; i < 3; ++i) {
        EXPECT_FALSE(share.over_limit({"alice@example.com", "", ""}, kHour)) << i;
        share.count({"alice@example.com", "", ""}, kHour);
    }
    auto why = share.over_limit({"alice@example.com", "", ""}, kHour);
    ASSERT_TRUE(why);
    EXPECT_EQ(*why, "limit of 10/3600s shared by 3 nodes per sender reached for alice@example.com");
    // Never less than one each, and the whole is untouched.
    EXPECT_EQ(share.charges(kAlice)[1].count, 1u);
    EXPECT_EQ(whole.charges(kAlice)[0].count, 10u);
}

}  // namespace
}  // namespace herald::policy
