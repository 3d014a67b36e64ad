#include "mailauth/spf/ip_address.hpp"

#include <gtest/gtest.h>

namespace herald::mailauth::spf {
namespace {

TEST(SpfIpAddress, TakesAnIpv4MappedClientAddressAsIpv4) {
    const auto address = IpAddress::parse("::FFFF:192.0.2.1");
    ASSERT_TRUE(address);
    EXPECT_TRUE(address->is_v4());
    EXPECT_EQ(address->to_string(), "192.0.2.1");
}

TEST(SpfIpAddress, KeepsAnIpv4MappedNetworkOfAnIp6MechanismIpv6) {
    const auto network = IpAddress::parse_ip6("::ffff:192.0.2.1");
    ASSERT_TRUE(network);
    EXPECT_FALSE(network->is_v4());
    EXPECT_FALSE(IpAddress::parse("192.0.2.1")->in(*network, 96));
}

TEST(SpfIpAddress, RefusesLeadingZerosAndShortIpv4Networks) {
    EXPECT_FALSE(IpAddress::parse_ip4("192.0.2.01"));
    EXPECT_FALSE(IpAddress::parse_ip4("1.2.3"));
    EXPECT_FALSE(IpAddress::parse_ip4("1.2.3.4.5"));
    EXPECT_FALSE(IpAddress::parse_ip4("256.1.1.1"));
    EXPECT_FALSE(IpAddress::parse_ip4(""));
    EXPECT_TRUE(IpAddress::parse_ip4("0.0.0.0"));
}

TEST(SpfIpAddress, MatchesByPrefixWithinOneFamilyOnly) {
    const auto client = *IpAddress::parse("192.0.2.130");
    EXPECT_TRUE(client.in(*IpAddress::parse_ip4("192.0.2.128"), 25));
    EXPECT_FALSE(client.in(*IpAddress::parse_ip4("192.0.2.0"), 25));
    EXPECT_TRUE(client.in(*IpAddress::parse_ip4("10.0.0.0"), 0));
    EXPECT_FALSE(client.in(*IpAddress::parse_ip6("::"), 0));
    const auto v6 = *IpAddress::parse("2001:db8:1234::1");
    EXPECT_TRUE(v6.in(*IpAddress::parse_ip6("2001:db8::"), 32));
    EXPECT_FALSE(v6.in(*IpAddress::parse_ip6("2001:db9::"), 32));
}

TEST(SpfIpAddress, SpellsIpv6AsNibblesForTheIMacro) {
    const auto address = *IpAddress::parse("2001:db8::cb01");
    EXPECT_EQ(address.dotted(), "2.0.0.1.0.D.B.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.C.B.0.1");
    EXPECT_EQ(address.to_string(), "2001:db8::cb01");
}

TEST(SpfIpAddress, RefusesWhatIsNoAddress) {
    EXPECT_FALSE(IpAddress::parse("mail.example.com"));
    EXPECT_FALSE(IpAddress::parse("1.2.3.4/24"));
    EXPECT_FALSE(IpAddress::parse(std::string(5000, ':')));
}

}  // namespace
}  // namespace herald::mailauth::spf
