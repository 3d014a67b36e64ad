#include "mailauth/spf/macro.hpp"

#include <gtest/gtest.h>

namespace herald::mailauth::spf {
namespace {

// The values of the examples of RFC 7208 7.4.
MacroValues rfc_values(std::string_view ip = "192.0.2.3") {
    return MacroValues{
        .sender = "strong-bad@email.example.com",
        .local_part = "strong-bad",
        .sender_domain = "email.example.com",
        .domain = "email.example.com",
        .ip = *IpAddress::parse(ip),
        .helo = "mx.example.org",
        .validated_name = "unknown",
        .receiver = "receiver.example.net",
        .timestamp = "1700000000",
    };
}

std::string expanded(std::string_view text, MacroUse use = MacroUse::domain,
                     const MacroValues& values = rfc_values()) {
    auto result = expand(text, values, use);
    return result.ok() ? *result : "ERROR: " + result.error();
}

TEST(SpfMacro, ExpandsTheExamplesOfTheRfc) {
    EXPECT_EQ(expanded("%{s}"), "strong-bad@email.example.com");
    EXPECT_EQ(expanded("%{o}"), "email.example.com");
    EXPECT_EQ(expanded("%{d4}"), "email.example.com");
    EXPECT_EQ(expanded("%{d2}"), "example.com");
    EXPECT_EQ(expanded("%{d1}"), "com");
    EXPECT_EQ(expanded("%{dr}"), "com.example.email");
    EXPECT_EQ(expanded("%{d2r}"), "example.email");
    EXPECT_EQ(expanded("%{l-}"), "strong.bad");
    EXPECT_EQ(expanded("%{lr-}"), "bad.strong");
    EXPECT_EQ(expanded("%{l1r-}"), "strong");
    EXPECT_EQ(expanded("%{ir}.%{v}._spf.%{d2}"), "3.2.0.192.in-addr._spf.example.com");
    EXPECT_EQ(expanded("%{lr-}.lp._spf.%{d2}"), "bad.strong.lp._spf.example.com");
    EXPECT_EQ(
        expanded("%{ir}.%{v}._spf.%{d2}", MacroUse::domain, rfc_values("2001:db8::cb01")),
        "1.0.B.C.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2.ip6._spf.example.com");
}

TEST(SpfMacro, UrlEscapesUpperCaseMacros) {
    EXPECT_EQ(expanded("%{S}"), "strong-bad%40email.example.com");
    EXPECT_EQ(expanded("a%%b%_c%-d"), "a%b c%20d");
}

TEST(SpfMacro, AllowsCRAndTOnlyInExplanations) {
    EXPECT_EQ(expanded("%{c} via %{r} at %{t}", MacroUse::explanation),
              "192.0.2.3 via receiver.example.net at 1700000000");
    EXPECT_TRUE(expanded("%{c}.example.com").starts_with("ERROR"));
    EXPECT_FALSE(check_macro_string("%{r}", MacroUse::domain).ok());
    EXPECT_FALSE(check_macro_string("with space", MacroUse::domain).ok());
    EXPECT_TRUE(check_macro_string("with space", MacroUse::explanation).ok());
}

TEST(SpfMacro, RefusesMalformedMacros) {
    for (const char* bad : {"%", "%{", "%{d", "%{x}", "%{d0}", "%(d)", "%a", "%{d2rr}", "a\x01"}) {
        EXPECT_FALSE(check_macro_string(bad, MacroUse::explanation).ok()) << bad;
    }
}

TEST(SpfMacro, ChecksTheEndOfADomainSpec) {
    EXPECT_TRUE(check_domain_spec("example.com").ok());
    EXPECT_TRUE(check_domain_spec("example.com.").ok());
    EXPECT_TRUE(check_domain_spec("%{d}").ok());
    EXPECT_TRUE(check_domain_spec("foo.example.xn--zckzah").ok());
    EXPECT_TRUE(check_domain_spec("foo:bar/baz.example.com").ok());
    EXPECT_FALSE(check_domain_spec("").ok());
    EXPECT_FALSE(check_domain_spec("museum").ok());
    EXPECT_FALSE(check_domain_spec("111.222.33.44").ok());
    EXPECT_FALSE(check_domain_spec("example.com:8080").ok());
    EXPECT_FALSE(check_domain_spec("example.-com").ok());
}

TEST(SpfMacro, TruncatesLongDomainsFromTheLeftAndDropsTheRootDot) {
    const std::string label(60, 'a');
    const std::string name =
        label + "." + label + "." + label + "." + label + "." + label + ".example.com.";
    const std::string result = expanded(name);
    EXPECT_LE(result.size(), 253u);
    EXPECT_TRUE(result.ends_with(".example.com"));
    EXPECT_EQ(result.front(), 'a');
}

TEST(SpfMacro, StopsAMacroBombInsteadOfGrowingWithoutBound) {
    std::string bomb;
    for (int i = 0; i < 5000; ++i) bomb += "%{s}";
    EXPECT_FALSE(expand(bomb + ".example.com", rfc_values(), MacroUse::domain).ok());
}

TEST(SpfMacro, KeepsAllPartsWhenAskedForMoreThanThereAre) {
    EXPECT_EQ(expanded("%{d99999999999999999999}"), "email.example.com");
}

TEST(SpfMacro, SaysWhetherAStringUsesALetter) {
    EXPECT_TRUE(uses_macro("%{p}.example.com", 'p'));
    EXPECT_TRUE(uses_macro("%{P2r}.example.com", 'p'));
    EXPECT_FALSE(uses_macro("%{d}.example.com", 'p'));
}

}  // namespace
}  // namespace herald::mailauth::spf
