#include "queue/given_up.hpp"

#include <gtest/gtest.h>

namespace herald::queue {
namespace {

const spool::Schedule kSaved{
    .attempts = 9,
    .last_error = "451 4.7.1 greylisted",
    .deferrals = {{.recipient = "bob@one.test",
                   .reply = "451 4.7.1 greylisted",
                   .remote_host = "mx.one.test [127.0.0.2]",
                   .at = std::chrono::system_clock::time_point(std::chrono::seconds(1764000000))}}};

TEST(GivenUp, AnExpiredRecipientKeepsItsLastDeferralAndIs447) {
    const auto r = given_up("bob@one.test", GiveUp::expired, &kSaved);
    EXPECT_EQ(r.diagnostic, "451 4.7.1 greylisted");
    EXPECT_EQ(r.remote_host, "mx.one.test [127.0.0.2]");
    EXPECT_EQ(r.status, "4.4.7");
    EXPECT_EQ(r.reason, "message expired: too long in the queue");
    EXPECT_EQ(r.last_attempt, kSaved.deferrals[0].at);
}

TEST(GivenUp, AnAdministratorsBounceSaysSoAndKeepsTheLastError) {
    const auto r = given_up("bob@one.test", GiveUp::administrator, &kSaved);
    EXPECT_EQ(r.reason, "bounced by the administrator");
    EXPECT_EQ(r.status, "5.0.0");
    EXPECT_EQ(r.diagnostic, "451 4.7.1 greylisted");
}

TEST(GivenUp, WithoutADeferralTheReasonIsTheDiagnostic) {
    EXPECT_EQ(given_up("carol@one.test", GiveUp::administrator, &kSaved).diagnostic,
              "5.0.0 bounced by the administrator");
    const auto r = given_up("bob@one.test", GiveUp::expired, nullptr);
    EXPECT_EQ(r.diagnostic, "4.4.7 message expired: too long in the queue");
    EXPECT_EQ(r.diagnostic, give_up_reason(GiveUp::expired));
    EXPECT_TRUE(r.remote_host.empty());
}

}  // namespace
}  // namespace herald::queue
