#include "admin/rejection_reason.hpp"

#include <gtest/gtest.h>

namespace herald::admin {
namespace {

TEST(RejectionReason, RateLimitRefusalIsRateLimited) {
    EXPECT_EQ(classify_rejection("MAIL FROM:<a@b.example>",
                                 "451 4.7.1 Rate 100/hour for sender exceeded; try again later"),
              RejectionReason::rate_limited);
}

TEST(RejectionReason, RelayDeniedAtRcptIsRelayDenied) {
    EXPECT_EQ(classify_rejection("RCPT TO:<x@elsewhere.example>", "554 5.7.1 Relay access denied"),
              RejectionReason::relay_denied);
    EXPECT_EQ(classify_rejection("rcpt to:<x@elsewhere.example>", "554 5.7.1 Relay access denied"),
              RejectionReason::relay_denied);
}

TEST(RejectionReason, PolicyRefusalAtMailIsRejectedSender) {
    EXPECT_EQ(
        classify_rejection("MAIL FROM:<spam@bad.example>", "550 5.7.1 Sender address rejected"),
        RejectionReason::rejected_sender);
}

TEST(RejectionReason, BadCredentialsAreAuthFailed) {
    EXPECT_EQ(classify_rejection("AUTH PLAIN", "535 5.7.8 Authentication credentials invalid"),
              RejectionReason::auth_failed);
}

TEST(RejectionReason, TooBigIsSize) {
    EXPECT_EQ(classify_rejection("MAIL FROM:<a@b.example> SIZE=999999999",
                                 "552 5.3.4 Message size exceeds fixed maximum message size"),
              RejectionReason::size);
    EXPECT_EQ(classify_rejection("DATA", "554 5.3.4 too big"), RejectionReason::size);
}

TEST(RejectionReason, AnythingElseIsOther) {
    EXPECT_EQ(classify_rejection("FOO", "500 5.5.2 Command not recognized"),
              RejectionReason::other);
    EXPECT_EQ(classify_rejection("DATA", "554 5.7.1 odd"), RejectionReason::other);
    EXPECT_EQ(classify_rejection("RCPT TO:<a@b>", "452 4.5.3 Too many recipients"),
              RejectionReason::other);
}

TEST(RejectionReason, MalformedRepliesAreOtherAndDoNotCrash) {
    for (std::string_view reply :
         {"", " ", "5", "550", "550 ", "550 5.", "550 5.7.1", "xyz 5.7.1 a", "\n\n", "451 4.7.1"}) {
        auto reason = classify_rejection("", reply);
        EXPECT_FALSE(to_string(reason).empty()) << reply;
    }
    EXPECT_EQ(classify_rejection("", ""), RejectionReason::other);
    EXPECT_EQ(classify_rejection("RCPT", "550 5.7.1"), RejectionReason::relay_denied);
}

TEST(RejectionReason, EveryReasonHasItsLabel) {
    EXPECT_EQ(to_string(RejectionReason::relay_denied), "relay_denied");
    EXPECT_EQ(to_string(RejectionReason::rate_limited), "rate_limited");
    EXPECT_EQ(to_string(RejectionReason::rejected_sender), "rejected_sender");
    EXPECT_EQ(to_string(RejectionReason::auth_failed), "auth_failed");
    EXPECT_EQ(to_string(RejectionReason::size), "size");
    EXPECT_EQ(to_string(RejectionReason::other), "other");
}

}  // namespace
}  // namespace herald::admin
