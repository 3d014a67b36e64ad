#include "delivery/tls_policy.hpp"

#include <gtest/gtest.h>

namespace herald::delivery {
namespace {

TEST(MxPattern, AHostNameMatchesItselfInAnyCase) {
    EXPECT_TRUE(mx_pattern_matches("mx.example.com", "MX.Example.COM"));
    EXPECT_TRUE(mx_pattern_matches("mx.example.com.", "mx.example.com"));
    EXPECT_TRUE(mx_pattern_matches("mx.example.com", "mx.example.com."));
    EXPECT_FALSE(mx_pattern_matches("mx.example.com", "mx2.example.com"));
    EXPECT_FALSE(mx_pattern_matches("mx.example.com", "example.com"));
}

TEST(MxPattern, AWildcardStandsForExactlyOneLabel) {
    EXPECT_TRUE(mx_pattern_matches("*.example.com", "mx1.example.com"));
    EXPECT_FALSE(mx_pattern_matches("*.example.com", "example.com"));
    EXPECT_FALSE(mx_pattern_matches("*.example.com", "a.b.example.com"));
    EXPECT_FALSE(mx_pattern_matches("*.example.com", ".example.com"));
    EXPECT_FALSE(mx_pattern_matches("*.example.com", "mx1.example.org"));
}

TEST(TlsPolicy, OnlyAnEnforcedPolicyRefusesHosts) {
    TlsPolicy none;
    EXPECT_TRUE(none.allows("anything.test"));
    EXPECT_EQ(none.label(), "opportunistic");
    TlsPolicy enforce{.kind = TlsPolicy::Kind::sts_enforce, .mx_patterns = {"*.mx.test"}};
    EXPECT_TRUE(enforce.allows("a.mx.test"));
    EXPECT_FALSE(enforce.allows("mx.test"));
    TlsPolicy testing{.kind = TlsPolicy::Kind::sts_testing, .mx_patterns = {"*.mx.test"}};
    EXPECT_TRUE(testing.allows("mx.test"));
    EXPECT_FALSE(testing.names("mx.test"));
}

}  // namespace
}  // namespace herald::delivery
