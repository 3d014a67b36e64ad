#include "delivery/transports/mailbox_copy.hpp"

#include <gtest/gtest.h>

namespace herald::delivery {
namespace {

TEST(MailboxCopy, PrependsReturnPathAndDeliveredTo) {
    EXPECT_EQ(mailbox_copy("a@x", "b@y", "Subject: hi\r\n\r\nbody\r\n"),
              "Return-Path: <a@x>\nDelivered-To: b@y\nSubject: hi\n\nbody\n");
}

TEST(MailboxCopy, WritesTheNullSenderAsEmptyAngleBrackets) {
    EXPECT_TRUE(mailbox_copy("", "b@y", "S: x\r\n\r\n").starts_with("Return-Path: <>\n"));
}

TEST(MailboxCopy, TurnsCrLfIntoLfButKeepsABareCr) {
    EXPECT_EQ(mailbox_copy("a", "b", "x\r\ny\rz\r\n\r\r\n"),
              "Return-Path: <a>\nDelivered-To: b\nx\ny\rz\n\r\n");
}

TEST(MailboxCopy, EndsWithANewlineEvenWhenTheDataDoesNot) {
    EXPECT_EQ(mailbox_copy("a", "b", "S: x\r\n\r\nno end"),
              "Return-Path: <a>\nDelivered-To: b\nS: x\n\nno end\n");
    EXPECT_EQ(mailbox_copy("a", "b", "S: x\r\n\r\nends in cr\r"),
              "Return-Path: <a>\nDelivered-To: b\nS: x\n\nends in cr\r\n");
}

TEST(MailboxCopy, KeepsControlsInAddressesOutOfTheHeaders) {
    auto copy = mailbox_copy("a\r\nBcc: evil@x", "b\nX-Injected: 1", "S: x\r\n\r\n");
    EXPECT_EQ(copy, "Return-Path: <aBcc: evil@x>\nDelivered-To: bX-Injected: 1\nS: x\n\n");
}

TEST(MailboxCopy, HandlesEmptyData) {
    EXPECT_EQ(mailbox_copy("a", "b", ""), "Return-Path: <a>\nDelivered-To: b\n");
}

}  // namespace
}  // namespace herald::delivery
