#include "spool/schedule.hpp"

#include <gtest/gtest.h>

#include "spool/record_value.hpp"

namespace herald::spool {
namespace {

using Clock = std::chrono::system_clock;

Clock::time_point at(std::int64_t micros) {
    return Clock::time_point(std::chrono::microseconds(micros));
}

TEST(Schedule, KeepsEachDeferralAndTheDelayWarningAcrossEncoding) {
    Schedule schedule{.attempts = 3,
                      .next_attempt = at(1764000999000001),
                      .last_error = "451 4.7.1 greylisted",
                      .deferrals = {{.recipient = "bob@one.test",
                                     .reply = "451 4.7.1 greylisted",
                                     .remote_host = "mx.one.test [127.0.0.2]",
                                     .at = at(1764000000000002)},
                                    {.recipient = "\"odd\tname\"@two.test",
                                     .reply = "421 4.3.2 bye\r\nInjected: 1 %41",
                                     .remote_host = "",
                                     .at = at(1764000000000003)}},
                      .delay_warned = at(1764000500000004)};
    const auto parsed = parse_schedule(encode_schedule(schedule));
    ASSERT_TRUE(parsed);
    ASSERT_EQ(parsed->deferrals.size(), 2u);
    EXPECT_EQ(parsed->deferrals[0].recipient, "bob@one.test");
    EXPECT_EQ(parsed->deferrals[0].remote_host, "mx.one.test [127.0.0.2]");
    EXPECT_EQ(parsed->deferrals[0].at, at(1764000000000002));
    EXPECT_EQ(parsed->deferrals[1].recipient, "\"odd\tname\"@two.test");
    EXPECT_EQ(parsed->deferrals[1].reply, "421 4.3.2 bye\r\nInjected: 1 %41");
    EXPECT_EQ(parsed->deferrals[1].remote_host, "");
    EXPECT_EQ(parsed->delay_warned, at(1764000500000004));
    EXPECT_EQ(parsed->deferral_of("bob@one.test"), &parsed->deferrals[0]);
    EXPECT_EQ(parsed->deferral_of("nobody@one.test"), nullptr);
}

TEST(Schedule, OneWithoutDeferralsOrWarningReadsAsBefore) {
    const auto parsed = parse_schedule("HERALD-SCHEDULE 1\nN 2\nW 1764000999000001\nL x\n");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->attempts, 2u);
    EXPECT_TRUE(parsed->deferrals.empty());
    EXPECT_FALSE(parsed->delay_warned);
    EXPECT_EQ(encode_schedule(*parsed), "HERALD-SCHEDULE 1\nN 2\nW 1764000999000001\nL x\n");
}

TEST(Schedule, RefusesABrokenDeferralRecord) {
    const std::string head = "HERALD-SCHEDULE 1\nN 2\nW 1764000999000001\nL x\n";
    for (const char* bad :
         {"R 1764000000000002\ta@b\thost\n",         // a field short
          "R 1764000000000002\ta@b\th\tr\textra\n",  // one too many
          "R soon\ta@b\th\tr\n", "R 1764000000000002\ta@b\th\t%zz\n", "V later\n"}) {
        EXPECT_FALSE(parse_schedule(head + bad)) << bad;
    }
}

}  // namespace
}  // namespace herald::spool
