#include "message/address_list.hpp"

#include <gtest/gtest.h>

namespace herald::message {
namespace {

using List = std::vector<std::string>;

TEST(SplitAddressList, SplitsOnCommas) {
    EXPECT_EQ(split_address_list("a@x, b@y"), (List{"a@x", "b@y"}));
    EXPECT_EQ(split_address_list("a@x"), (List{"a@x"}));
    EXPECT_EQ(split_address_list(" , ,"), List{});
    EXPECT_EQ(split_address_list(""), List{});
}

TEST(SplitAddressList, TakesTheAddressOutOfDisplayNames) {
    EXPECT_EQ(split_address_list("Alice Smith <alice@x>, \"Bob, Jr.\" <bob@y>"),
              (List{"alice@x", "bob@y"}));
    EXPECT_EQ(split_address_list("<c@z>"), (List{"c@z"}));
}

TEST(SplitAddressList, IgnoresComments) {
    EXPECT_EQ(split_address_list("a@x (Alice, at (work)), b@y"), (List{"a@x", "b@y"}));
}

TEST(SplitAddressList, FlattensGroups) {
    EXPECT_EQ(split_address_list("team: a@x, b@y;, c@z"), (List{"a@x", "b@y", "c@z"}));
    EXPECT_EQ(split_address_list("undisclosed-recipients:;"), List{});
}

TEST(SplitAddressList, KeepsQuotedLocalPartsAndLiterals) {
    EXPECT_EQ(split_address_list("\"a,b\"@x, u@[IPv6:2001:db8::1]"),
              (List{"\"a,b\"@x", "u@[IPv6:2001:db8::1]"}));
}

TEST(SplitAddressList, DropsWhatAnUnclosedQuoteOrCommentSwallowed) {
    EXPECT_EQ(split_address_list("<a@x"), (List{"a@x"}));
    EXPECT_EQ(split_address_list("a@x, \"open"), (List{"a@x"}));
    EXPECT_EQ(split_address_list("(never closed a@x"), List{});
    EXPECT_EQ(split_address_list("a@x\\"), (List{"a@x\\"}));
}

}  // namespace
}  // namespace herald::message
