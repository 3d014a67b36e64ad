#include "policy/auth_throttle.hpp"

#include <gtest/gtest.h>

#include <string>

namespace herald::policy {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = AuthThrottle::Clock;

const Clock::time_point kStart = Clock::time_point(seconds(1'000'000));

AuthThrottleSettings settings(std::size_t failures = 3, seconds lockout = seconds(900)) {
    return AuthThrottleSettings{.base_delay = seconds(2),
                                .max_delay = seconds(30),
                                .failures_before_lockout = failures,
                                .lockout = lockout,
                                .max_tracked = 100};
}

TEST(AuthThrottle, DoublesTheDelayWithEachFailureUpToTheCap) {
    AuthThrottle t(settings(100));
    std::vector<milliseconds> delays;
    for (int i = 0; i < 7; ++i) delays.push_back(t.failed("192.0.2.1", "alice", kStart).delay);
    EXPECT_EQ(delays, (std::vector<milliseconds>{seconds(2), seconds(4), seconds(8), seconds(16),
                                                 seconds(30), seconds(30), seconds(30)}));
}

TEST(AuthThrottle, LocksOutTheAddressAfterNFailuresEvenForTheRightPassword) {
    AuthThrottle t(settings(3));
    EXPECT_FALSE(t.failed("192.0.2.1", "alice", kStart).ip_locked);
    EXPECT_FALSE(t.failed("192.0.2.1", "bob", kStart).ip_locked);
    EXPECT_FALSE(t.locked("192.0.2.1", "carol", kStart));
    auto third = t.failed("192.0.2.1", "carol", kStart);
    EXPECT_TRUE(third.ip_locked);
    EXPECT_FALSE(third.user_locked);
    // locked() is asked before any password is checked: any user, from that address.
    EXPECT_TRUE(t.locked("192.0.2.1", "dave", kStart + seconds(1)));
    EXPECT_FALSE(t.locked("192.0.2.2", "dave", kStart + seconds(1)));
    EXPECT_TRUE(t.locked("192.0.2.1", "dave", kStart + seconds(899)));
    EXPECT_FALSE(t.locked("192.0.2.1", "dave", kStart + seconds(900)));
}

TEST(AuthThrottle, LocksOutTheUserWhateverAddressGuesses) {
    AuthThrottle t(settings(3));
    t.failed("192.0.2.1", "alice", kStart);
    t.failed("192.0.2.2", "alice", kStart);
    EXPECT_TRUE(t.failed("192.0.2.3", "alice", kStart).user_locked);
    EXPECT_TRUE(t.locked("198.51.100.9", "alice", kStart));
    EXPECT_FALSE(t.locked("198.51.100.9", "bob", kStart));
}

TEST(AuthThrottle, ForgetsFailuresOlderThanTheWindow) {
    AuthThrottle t(settings(3, seconds(60)));
    t.failed("192.0.2.1", "alice", kStart);
    t.failed("192.0.2.1", "alice", kStart + seconds(1));
    auto later = t.failed("192.0.2.1", "alice", kStart + seconds(61));
    EXPECT_FALSE(later.ip_locked);
    EXPECT_FALSE(later.user_locked);
    EXPECT_EQ(later.delay, seconds(2));
    EXPECT_FALSE(t.locked("192.0.2.1", "alice", kStart + seconds(61)));
}

TEST(AuthThrottle, SuccessResetsTheAddressButNotTheUser) {
    AuthThrottle t(settings(3));
    t.failed("192.0.2.1", "alice", kStart);
    t.failed("192.0.2.1", "alice", kStart);
    t.succeeded("192.0.2.1");
    auto next = t.failed("192.0.2.1", "bob", kStart);
    EXPECT_FALSE(next.ip_locked);
    EXPECT_EQ(next.delay, seconds(2));
    // alice's two failures still count, from any address.
    EXPECT_TRUE(t.failed("192.0.2.9", "alice", kStart).user_locked);
}

TEST(AuthThrottle, NeverLocksOutWhenTheLimitIsZero) {
    AuthThrottle t(settings(0));
    for (int i = 0; i < 50; ++i) EXPECT_FALSE(t.failed("192.0.2.1", "alice", kStart).ip_locked);
    EXPECT_FALSE(t.locked("192.0.2.1", "alice", kStart));
}

TEST(AuthThrottle, TracksAtMostMaxTrackedNamesAndKeepsLockoutsWhenFull) {
    AuthThrottle t(settings(1));
    EXPECT_TRUE(t.failed("192.0.2.1", "alice", kStart).ip_locked);
    for (int i = 0; i < 1000; ++i) {
        t.failed("10.0.0." + std::to_string(i), "user" + std::to_string(i), kStart);
    }
    EXPECT_LE(t.tracked_ips(), 100u);
    EXPECT_LE(t.tracked_users(), 100u);
    // A flood of new names does not push the lockout out.
    EXPECT_TRUE(t.locked("192.0.2.1", "", kStart + seconds(10)));
    EXPECT_TRUE(t.locked("198.51.100.1", "alice", kStart + seconds(10)));
    // Once the lockouts are over, expired entries make room again.
    const auto later = kStart + seconds(2000);
    EXPECT_FALSE(t.locked("192.0.2.1", "alice", later));
    EXPECT_TRUE(t.failed("203.0.113.1", "zoe", later).ip_locked);
    EXPECT_TRUE(t.locked("203.0.113.1", "", later));
    EXPECT_LE(t.tracked_ips(), 100u);
}

TEST(AuthThrottle, KeysOnlyAPrefixOfAHugeUserName) {
    AuthThrottle t(settings(2));
    const std::string huge(10000, 'x');
    t.failed("192.0.2.1", huge, kStart);
    EXPECT_TRUE(t.failed("192.0.2.2", huge + "y", kStart).user_locked);
    EXPECT_TRUE(t.locked("192.0.2.3", huge, kStart));
}

}  // namespace
}  // namespace herald::policy
