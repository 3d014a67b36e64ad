#include "queue/delay_warning.hpp"

#include <gtest/gtest.h>

namespace herald::queue {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

const Clock::time_point kArrival = Clock::time_point(std::chrono::seconds(1764000000));
const DelayWarningRule kRule{.after = 4h, .max_age = 120h};

message::Envelope from(std::string sender, bool outsider = false) {
    message::Envelope envelope;
    envelope.sender = std::move(sender);
    envelope.from_outsider = outsider;
    envelope.arrival = kArrival;
    return envelope;
}

TEST(DelayWarningRule, WarnsOnceTheDelayHasPassedWithARecipientStillDeferred) {
    const auto alice = from("alice@example.com");
    EXPECT_EQ(kRule.due_at(alice), kArrival + 4h);
    EXPECT_FALSE(kRule.warn_now(alice, kArrival + 3h + 59min, false, true));
    EXPECT_TRUE(kRule.warn_now(alice, kArrival + 4h, false, true));
    EXPECT_TRUE(kRule.warn_now(alice, kArrival + 50h, false, true));
    EXPECT_EQ(kRule.gives_up_at(alice), kArrival + 120h);
}

TEST(DelayWarningRule, NeverWarnsTwice) {
    EXPECT_FALSE(kRule.warn_now(from("alice@example.com"), kArrival + 5h, true, true));
}

TEST(DelayWarningRule, NeverWarnsWhenNothingIsDeferred) {
    EXPECT_FALSE(kRule.warn_now(from("alice@example.com"), kArrival + 5h, false, false));
}

TEST(DelayWarningRule, NeverWarnsTheNullSenderNorTheSenderOfAnOutsider) {
    EXPECT_FALSE(kRule.due_at(from("")));
    EXPECT_FALSE(kRule.warn_now(from(""), kArrival + 5h, false, true));
    EXPECT_FALSE(kRule.due_at(from("alice@example.com", true)));
    EXPECT_FALSE(kRule.warn_now(from("alice@example.com", true), kArrival + 5h, false, true));
}

TEST(DelayWarningRule, ZeroTurnsWarningsOff) {
    const DelayWarningRule off{.after = 0s, .max_age = 120h};
    EXPECT_FALSE(off.due_at(from("alice@example.com")));
    EXPECT_FALSE(off.warn_now(from("alice@example.com"), kArrival + 100h, false, true));
}

TEST(DelayWarningRule, AWarningNotBeforeExpiryIsNeverSent) {
    const DelayWarningRule late{.after = 120h, .max_age = 120h};
    EXPECT_FALSE(late.due_at(from("alice@example.com")));
    // Expired already: the bounce says it all.
    EXPECT_FALSE(kRule.warn_now(from("alice@example.com"), kArrival + 120h, false, true));
}

}  // namespace
}  // namespace herald::queue
