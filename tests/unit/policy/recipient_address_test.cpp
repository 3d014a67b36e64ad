#include "policy/recipient_address.hpp"

#include <gtest/gtest.h>

namespace herald::policy {
namespace {

TEST(RecipientAddress, SplitsAtTheLastAtAndLowersTheDomain) {
    auto a = RecipientAddress::parse("Bob.Smith+tag@Example.COM");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->local_part, "Bob.Smith+tag");
    EXPECT_EQ(a->domain, "example.com");
    EXPECT_FALSE(a->quoted);
    EXPECT_FALSE(a->trick);
}

TEST(RecipientAddress, UnquotesAQuotedLocalPart) {
    auto a = RecipientAddress::parse(R"("john \"j\" doe"@example.com)");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->local_part, "john \"j\" doe");
    EXPECT_TRUE(a->quoted);
    EXPECT_FALSE(a->trick);
}

TEST(RecipientAddress, NamesEachAddressTrick) {
    EXPECT_EQ(RecipientAddress::parse("u%victim.example@local.test")->trick, "a percent hack");
    EXPECT_EQ(RecipientAddress::parse("victim.example!u@local.test")->trick, "a bang path");
    EXPECT_EQ(RecipientAddress::parse("\"u@victim.example\"@local.test")->trick,
              "an '@' in the local part");
    EXPECT_EQ(RecipientAddress::parse("u@victim.example@local.test")->trick,
              "an '@' in the local part");
    auto routed = RecipientAddress::parse("@local.test,@b.test:u@victim.example");
    ASSERT_TRUE(routed);
    EXPECT_EQ(routed->trick, "a source route");
    EXPECT_EQ(routed->domain, "victim.example");
}

TEST(RecipientAddress, TakesAnAddressLiteralAsADomain) {
    auto a = RecipientAddress::parse("u@[127.0.0.1]");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->domain, "[127.0.0.1]");
}

TEST(RecipientAddress, TakesAnInternationalizedDomain) {
    auto a = RecipientAddress::parse("j\xc3\xb6rg@b\xc3\xbc" "cher.example");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->domain, "b\xc3\xbc" "cher.example");
    EXPECT_FALSE(a->local_part_is_mailbox_name());
}

TEST(RecipientAddress, RefusesBadSyntax) {
    for (const char* bad : {"",
                            "postmaster",
                            "@",
                            "u@",
                            "@local.test",
                            "@local.test:",
                            "\"u\"",
                            "\"u\"x@a.test",
                            "\"unterminated@a.test",
                            "\"u\\\"@a.test",
                            "u v@a.test",
                            "u\"v@a.test",
                            "u@a..test",
                            "u@-a.test",
                            "u@a-.test",
                            "u@a.test.",
                            "u@a_b.test",
                            "u@[]",
                            "u@[1.2.3.4",
                            "u@a.test\r\n",
                            "u\x01@a.test",
                            "\"\"@a.test"}) {
        EXPECT_FALSE(RecipientAddress::parse(bad)) << bad;
    }
    EXPECT_FALSE(RecipientAddress::parse(std::string(300, 'a') + "@a.test"));
}

TEST(RecipientAddress, KnowsMailboxSafeLocalParts) {
    for (const char* good : {"bob", "bob.smith", "bob+tag", "b_o-b", "B0B"}) {
        EXPECT_TRUE(
            RecipientAddress::parse(std::string(good) + "@a.test")->local_part_is_mailbox_name())
            << good;
    }
    for (const char* bad : {"..", ".bob", "bob.", "a..b", "a/b", "a&b", "a=b", "{user}"}) {
        EXPECT_FALSE(
            RecipientAddress::parse(std::string(bad) + "@a.test")->local_part_is_mailbox_name())
            << bad;
    }
    EXPECT_FALSE(RecipientAddress::parse("\"../escape\"@a.test")->local_part_is_mailbox_name());
    EXPECT_FALSE(RecipientAddress::parse("\"a b\"@a.test")->local_part_is_mailbox_name());
    EXPECT_FALSE(
        RecipientAddress::parse(std::string(65, 'a') + "@a.test")->local_part_is_mailbox_name());
}

}  // namespace
}  // namespace herald::policy
