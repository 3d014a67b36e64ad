#include "smtp/address.hpp"

#include <gtest/gtest.h>

namespace herald::smtp {
namespace {

Address path(std::string_view text, AddressSyntax syntax = AddressSyntax::ascii) {
    auto parsed = parse_path(text, syntax, /*allow_null=*/true);
    EXPECT_TRUE(parsed.ok()) << text << ": " << (parsed.ok() ? "" : parsed.error());
    return parsed.ok() ? *parsed : Address{};
}

bool path_ok(std::string_view text, AddressSyntax syntax = AddressSyntax::ascii) {
    return parse_path(text, syntax, /*allow_null=*/true).ok();
}

TEST(Address, ParsesAPlainMailbox) {
    Address a = path("<user.name+tag@mail.example.com>");
    EXPECT_EQ(a.local_part, "user.name+tag");
    EXPECT_EQ(a.domain, "mail.example.com");
    EXPECT_EQ(a.str(), "user.name+tag@mail.example.com");
    EXPECT_FALSE(a.routing_tricks());
}

TEST(Address, AcceptsTheNullPathOnlyWhenAllowed) {
    EXPECT_TRUE(path("<>").is_null());
    EXPECT_EQ(path("<>").str(), "");
    EXPECT_FALSE(parse_path("<>", AddressSyntax::ascii, /*allow_null=*/false).ok());
}

TEST(Address, AcceptsPostmasterWithoutDomain) {
    Address a = path("<Postmaster>");
    EXPECT_EQ(a.str(), "Postmaster");
    EXPECT_FALSE(path_ok("<alice>"));
}

TEST(Address, KeepsQuotedLocalPartsAsWritten) {
    Address a = path(R"(<"john doe"@example.com>)");
    EXPECT_TRUE(a.quoted_local_part);
    EXPECT_EQ(a.str(), R"("john doe"@example.com)");
    EXPECT_EQ(a.unquoted_local_part(), "john doe");
    Address escaped = path(R"(<"a\"b"@example.com>)");
    EXPECT_EQ(escaped.unquoted_local_part(), "a\"b");
}

TEST(Address, FlagsAnAtHiddenInAQuotedLocalPart) {
    Address a = path(R"(<"victim@other.example"@local.example>)");
    EXPECT_EQ(a.domain, "local.example");
    EXPECT_TRUE(a.at_in_local_part());
    EXPECT_TRUE(a.routing_tricks());
}

TEST(Address, FlagsThePercentHack) {
    Address a = path("<user%other.example@local.example>");
    EXPECT_TRUE(a.percent_hack());
    EXPECT_TRUE(a.routing_tricks());
}

TEST(Address, FlagsBangPaths) {
    Address a = path("<host!user@local.example>");
    EXPECT_TRUE(a.bang_path());
    EXPECT_TRUE(a.routing_tricks());
}

TEST(Address, StripsASourceRouteButRemembersIt) {
    Address a = path("<@relay1.example,@relay2.example:user@final.example>");
    EXPECT_TRUE(a.has_source_route);
    EXPECT_TRUE(a.routing_tricks());
    EXPECT_EQ(a.str(), "user@final.example");
    EXPECT_FALSE(path_ok("<@relay1.example:>"));
    EXPECT_FALSE(path_ok("<@:user@x.example>"));
    EXPECT_FALSE(path_ok("<@relay1.example user@x.example>"));
}

TEST(Address, AcceptsAddressLiterals) {
    Address v4 = path("<user@[192.0.2.1]>");
    EXPECT_TRUE(v4.address_literal);
    EXPECT_EQ(v4.domain, "[192.0.2.1]");
    EXPECT_TRUE(path("<user@[IPv6:2001:db8::1]>").address_literal);
    EXPECT_FALSE(path_ok("<user@[300.0.0.1]>"));
    EXPECT_FALSE(path_ok("<user@[2001:db8::1]>"));  // the IPv6: tag is required
    EXPECT_FALSE(path_ok("<user@[IPv6:zz::1]>"));
    EXPECT_FALSE(path_ok("<user@[x-tag:stuff]>"));
}

TEST(Address, RejectsBadSyntax) {
    for (std::string_view bad :
         {"user@example.com", "<user@example.com", "<user>", "<@example.com>", "<user@>",
          "<.user@example.com>", "<user.@example.com>", "<us..er@example.com>",
          "<user@-example.com>", "<user@example-.com>", "<user@exa_mple.com>",
          "<user@example..com>", "<user@example.com.>", "<us er@example.com>",
          "<\"unterminated@example.com>", "<user@example.com@x>", "<\"a\\\"@x.example>"}) {
        EXPECT_FALSE(path_ok(bad)) << bad;
    }
}

TEST(Address, EnforcesRfc5321Lengths) {
    EXPECT_TRUE(path_ok("<" + std::string(64, 'a') + "@example.com>"));
    EXPECT_FALSE(path_ok("<" + std::string(65, 'a') + "@example.com>"));
    EXPECT_FALSE(path_ok("<a@" + std::string(64, 'b') + ".example>"));
    std::string long_domain;
    for (int i = 0; i < 5; ++i) long_domain += std::string(60, 'c') + ".";
    EXPECT_FALSE(path_ok("<a@" + long_domain + "example>"));
}

TEST(Address, AllowsUtf8OnlyUnderSmtputf8) {
    const std::string mailbox =
        "<j\xc3\xb6rg@b\xc3\xbc"
        "cher.example>";
    EXPECT_FALSE(path_ok(mailbox));
    Address a = path(mailbox, AddressSyntax::utf8);
    EXPECT_TRUE(a.utf8);
    EXPECT_EQ(a.str(),
              "j\xc3\xb6rg@b\xc3\xbc"
              "cher.example");
}

TEST(Address, RejectsMalformedUtf8EvenUnderSmtputf8) {
    EXPECT_FALSE(path_ok("<a\xc3@example.com>", AddressSyntax::utf8));          // truncated
    EXPECT_FALSE(path_ok("<a\xc0\xaf@example.com>", AddressSyntax::utf8));      // overlong
    EXPECT_FALSE(path_ok("<a\xed\xa0\x80@example.com>", AddressSyntax::utf8));  // surrogate
    EXPECT_FALSE(path_ok("<a\xff@example.com>", AddressSyntax::utf8));
}

TEST(Address, RejectsControlCharactersAndNul) {
    EXPECT_FALSE(path_ok(std::string("<a\0b@example.com>", 17)));
    EXPECT_FALSE(path_ok(std::string("<\"a\0b\"@example.com>", 19)));
    EXPECT_FALSE(path_ok("<a\tb@example.com>"));
    EXPECT_FALSE(path_ok(std::string("<a@[192.0.2.1\0x]>", 17)));
}

TEST(Address, ParsesBareMailboxesFromEnvelopes) {
    auto a = parse_mailbox("user%host@local.example", AddressSyntax::ascii);
    ASSERT_TRUE(a.ok());
    EXPECT_TRUE(a->percent_hack());
    EXPECT_FALSE(parse_mailbox("", AddressSyntax::ascii).ok());
}

}  // namespace
}  // namespace herald::smtp
