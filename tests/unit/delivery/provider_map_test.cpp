#include "delivery/provider_map.hpp"

#include <gtest/gtest.h>

namespace herald::delivery {
namespace {

TEST(HostMatches, AStarMatchesHostsBelowTheDomainOnly) {
    EXPECT_TRUE(host_matches("*.google.com", "aspmx.l.google.com"));
    EXPECT_TRUE(host_matches("*.google.com", "ALT1.ASPMX.L.Google.COM."));
    EXPECT_FALSE(host_matches("*.google.com", "google.com"));
    EXPECT_FALSE(host_matches("*.google.com", "evilgoogle.com"));
    EXPECT_FALSE(host_matches("*.google.com", "google.com.evil.example"));
}

TEST(HostMatches, APlainPatternIsOneHost) {
    EXPECT_TRUE(host_matches("mx.example.net", "MX.example.net."));
    EXPECT_FALSE(host_matches("mx.example.net", "a.mx.example.net"));
}

ProviderMap two_providers() {
    return ProviderMap({{.name = "google", .mx = {"*.google.com", "*.googlemail.com"}},
                        {.name = "yahoo", .mx = {"*.yahoodns.net"}}});
}

TEST(ProviderMap, EveryMxHostOfTheProviderMakesItTheProviders) {
    const auto map = two_providers();
    const auto* provider =
        map.provider_of({"aspmx.l.google.com", "alt1.aspmx.l.google.com", "x.googlemail.com"});
    ASSERT_NE(provider, nullptr);
    EXPECT_EQ(provider->name, "google");
    provider = map.provider_of({"mta5.am0.yahoodns.net"});
    ASSERT_NE(provider, nullptr);
    EXPECT_EQ(provider->name, "yahoo");
}

TEST(ProviderMap, OneHostOutsideKeepsTheDomainItsOwn) {
    const auto map = two_providers();
    EXPECT_EQ(map.provider_of({"aspmx.l.google.com", "backup.example.com"}), nullptr);
    EXPECT_EQ(map.provider_of({"aspmx.l.google.com", "mta5.am0.yahoodns.net"}), nullptr);
    EXPECT_EQ(map.provider_of({}), nullptr);
    EXPECT_EQ(map.provider_of({"mx.example.com"}), nullptr);
}

}  // namespace
}  // namespace herald::delivery
