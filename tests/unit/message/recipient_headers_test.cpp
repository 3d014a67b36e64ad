#include "message/address_list.hpp"
#include "message/header_block.hpp"

#include <gtest/gtest.h>

using herald::message::split_address_list;
using herald::message::take_recipient_headers;
using Strings = std::vector<std::string>;

TEST(SplitAddressList, TakesBareAndAngleAddresses) {
    EXPECT_EQ(split_address_list("a@example.com, Bob <b@example.net>"),
              (Strings{"a@example.com", "b@example.net"}));
}

TEST(SplitAddressList, KeepsACommaInsideAQuotedDisplayNameInOneAddress) {
    EXPECT_EQ(split_address_list("\"Doe, John\" <j@example.com>, k@example.com"),
              (Strings{"j@example.com", "k@example.com"}));
}

TEST(SplitAddressList, IgnoresCommentsAndGroupNames) {
    EXPECT_EQ(split_address_list("team: a@x.example (Alice, admin), b@y.example;, c@z.example"),
              (Strings{"a@x.example", "b@y.example", "c@z.example"}));
}

TEST(SplitAddressList, DropsWordsThatAreNotAddresses) {
    EXPECT_EQ(split_address_list("undisclosed-recipients:;"), Strings{});
    EXPECT_EQ(split_address_list(""), Strings{});
}

TEST(SplitAddressList, SurvivesUnbalancedInput) {
    EXPECT_EQ(split_address_list("\"never closed <a@b.example"), Strings{});
    EXPECT_EQ(split_address_list("((( a@b.example"), Strings{});
    EXPECT_EQ(split_address_list("<a@b.example"), (Strings{"a@b.example"}));
}

TEST(TakeRecipientHeaders, CollectsToCcBccAndRemovesBcc) {
    std::string data =
        "From: me@example.com\r\nTo: a@example.com,\r\n b@example.com\r\nCc: c@example.com\r\n"
        "BCC: hidden@example.com\r\n secret@example.com\r\nSubject: hi\r\n\r\nTo: "
        "body@example.com\r\n";
    auto rcpts = take_recipient_headers(data);
    EXPECT_EQ(rcpts, (Strings{"a@example.com", "b@example.com", "c@example.com",
                              "hidden@example.com", "secret@example.com"}));
    EXPECT_EQ(data.find("hidden"), std::string::npos);
    EXPECT_EQ(data.find("secret"), std::string::npos);
    EXPECT_NE(data.find("Subject: hi\r\n\r\nTo: body@example.com\r\n"), std::string::npos);
}

TEST(TakeRecipientHeaders, LeavesAMessageWithoutRecipientFieldsAlone) {
    std::string data = "Subject: x\r\n\r\nbody\r\n";
    EXPECT_TRUE(take_recipient_headers(data).empty());
    EXPECT_EQ(data, "Subject: x\r\n\r\nbody\r\n");
}
