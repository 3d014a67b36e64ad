#include "config/reload_guard.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace herald::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// What the running server has: a listener, a user, a reject entry, a rate limit and its own
// relay networks.
Config running() {
    Config c;
    c.listeners.push_back({.address = "127.0.0.1:2525", .host = "127.0.0.1", .port = 2525});
    c.users.push_back({.name = "alice", .password_hash = "$y$x", .sender_domains = {"*"}});
    c.reject.senders = {"bad@example.com"};
    c.rate_limits.push_back({.match = "sender", .limit = "100/hour"});
    c.relay.networks = {"10.0.0.0/8", "192.0.2.0/24"};
    return c;
}

TEST(ReloadGuard, AllowsAReloadThatKeepsSomethingOfEach) {
    Config next = running();
    next.users[0].name = "bob";
    next.reject.senders.clear();
    next.reject.users = {"mallory"};
    next.relay.networks = {"192.0.2.0/24", "198.51.100.0/24"};
    EXPECT_THAT(what_reload_would_strip(running(), next), IsEmpty());
}

TEST(ReloadGuard, RefusesAnEmptyConfigForEveryReason) {
    auto reasons = what_reload_would_strip(running(), Config{});
    ASSERT_EQ(reasons.size(), 5U) << ::testing::PrintToString(reasons);
    EXPECT_THAT(reasons[0], HasSubstr("no [[listener]]"));
    EXPECT_THAT(reasons[1], HasSubstr("every [[user]] (1 now)"));
    EXPECT_THAT(reasons[2], HasSubstr("every [reject] entry (1 now)"));
    EXPECT_THAT(reasons[3], HasSubstr("every [[rate_limit]] (1 now)"));
    // The default networks (loopback) share nothing with what is in force.
    EXPECT_THAT(reasons[4], HasSubstr("none of the [relay] networks in force (it has "
                                      "127.0.0.0/8, ::1/128)"));
}

TEST(ReloadGuard, WhatTheRunningServerDoesNotHaveCannotBeRemoved) {
    Config bare;
    bare.listeners = running().listeners;
    // No users, rejects or limits now, none then; default networks both times.
    EXPECT_THAT(what_reload_would_strip(bare, bare), IsEmpty());
    Config no_relay = bare;
    no_relay.relay.networks.clear();
    EXPECT_THAT(what_reload_would_strip(no_relay, bare), IsEmpty());
    EXPECT_THAT(what_reload_would_strip(bare, no_relay),
                ElementsAre(HasSubstr("none of the [relay] networks in force (it has none)")));
}

TEST(ReloadGuard, EachRemovalAloneIsEnough) {
    Config next = running();
    next.rate_limits.clear();
    EXPECT_THAT(what_reload_would_strip(running(), next),
                ElementsAre(HasSubstr("every [[rate_limit]]")));
    next = running();
    next.users.clear();
    EXPECT_THAT(what_reload_would_strip(running(), next), ElementsAre(HasSubstr("[[user]]")));
    next = running();
    next.reject = {};
    EXPECT_THAT(what_reload_would_strip(running(), next), ElementsAre(HasSubstr("[reject]")));
    next = running();
    next.listeners.clear();
    EXPECT_THAT(what_reload_would_strip(running(), next), ElementsAre(HasSubstr("[[listener]]")));
}

TEST(MissingListener, NamesTheFileForAConfigThatTakesNoMail) {
    Config c;
    c.source = "/etc/herald/herald.toml";
    EXPECT_EQ(missing_listener_error(c).rfind("/etc/herald/herald.toml:0: no [[listener]]", 0), 0U);
    c.listeners = running().listeners;
    EXPECT_EQ(missing_listener_error(c), "");
}

TEST(UnmovableChange, RefusesToMoveTheSpool) {
    Config next = running();
    EXPECT_EQ(unmovable_change(running(), next), "");
    next.server.spool_dir = "/elsewhere";
    EXPECT_THAT(unmovable_change(running(), next),
                HasSubstr("[server] spool_dir cannot change while Herald runs"));
}

TEST(KeepUntilRestart, KeepsTheRunningValuesOfWhatARunningServerCannotRebuild) {
    Config next = running();
    next.dns.servers = {"127.0.0.1:5353"};
    next.queue.max_age = std::chrono::hours(1);
    next.limits.auth_lockout = std::chrono::seconds(5);
    next.limits.max_connections = 7;  // live: not kept
    next.users.clear();               // live: not kept
    EXPECT_THAT(keep_until_restart(running(), next), ElementsAre("[dns]", "[limits] auth_lockout"));
    EXPECT_EQ(next.dns, running().dns);
    EXPECT_EQ(next.queue.max_age, std::chrono::hours(1));  // live: not kept
    EXPECT_EQ(next.limits.auth_lockout, running().limits.auth_lockout);
    EXPECT_EQ(next.limits.max_connections, 7U);
    EXPECT_TRUE(next.users.empty());
}

TEST(KeepUntilRestart, NamesNothingWhenNothingOfThatKindChanged) {
    Config next = running();
    next.listeners.clear();
    next.transports.push_back({.name = "new"});
    EXPECT_THAT(keep_until_restart(running(), next), IsEmpty());
}

}  // namespace
}  // namespace herald::config
