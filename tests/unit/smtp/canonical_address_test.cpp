#include "smtp/canonical_address.hpp"

#include <gtest/gtest.h>

namespace herald::smtp {
namespace {

std::string canonical(std::string_view mailbox) {
    auto result = canonical_mailbox(mailbox);
    return result ? *result : "error: " + result.error();
}

TEST(CanonicalAddress, RemovesQuotingThatIsNotNeeded) {
    EXPECT_EQ(canonical("\"bad\"@example.com"), "bad@example.com");
    EXPECT_EQ(canonical("\"b\\ad\"@example.com"), "bad@example.com");
    EXPECT_EQ(canonical("\"news\"@RL.Example"), "news@rl.example");
    EXPECT_EQ(canonical("\"first.last\"@example.com"), "first.last@example.com");
}

TEST(CanonicalAddress, KeepsQuotingThatIsNeededWithTheFewestEscapes) {
    EXPECT_EQ(canonical("\"a b\"@example.com"), "\"a b\"@example.com");
    EXPECT_EQ(canonical("\"a\\ b\"@example.com"), "\"a b\"@example.com");
    EXPECT_EQ(canonical("\"a..b\"@example.com"), "\"a..b\"@example.com");
    EXPECT_EQ(canonical("\"a\\\"b\"@example.com"), "\"a\\\"b\"@example.com");
    EXPECT_EQ(canonical("\"user@other\"@example.com"), "\"user@other\"@example.com");
}

TEST(CanonicalAddress, KeepsTheLocalPartsCaseAndLowersTheDomain) {
    EXPECT_EQ(canonical("Bob.Smith@Example.COM"), "Bob.Smith@example.com");
    EXPECT_EQ(canonical("x@[IPv6:2001:DB8::1]"), "x@[ipv6:2001:db8::1]");
}

TEST(CanonicalAddress, SpellsAnInternationalDomainInALabels) {
    EXPECT_EQ(canonical("user@bücher.example"), "user@xn--bcher-kva.example");
    EXPECT_EQ(canonical("user@BÜCHER.example"), "user@xn--bcher-kva.example");
    EXPECT_EQ(canonical("user@xn--bcher-kva.example"), "user@xn--bcher-kva.example");
    EXPECT_EQ(canonical("jöran@example.com"), "jöran@example.com");
}

TEST(CanonicalAddress, KeepsTheNullSenderAndPostmaster) {
    EXPECT_EQ(*canonical_address(Address{}), "");
    EXPECT_EQ(canonical("Postmaster"), "postmaster");
}

TEST(CanonicalAddress, RefusesWhatIsNoAddress) {
    EXPECT_TRUE(canonical("no domain").starts_with("error"));
    EXPECT_TRUE(canonical("a@b@c").starts_with("error"));
}

}  // namespace
}  // namespace herald::smtp
