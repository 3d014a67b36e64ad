#include "config/cidr.hpp"

#include <gtest/gtest.h>

namespace herald::config {
namespace {

bool in(std::string_view network, std::string_view address) {
    auto cidr = Cidr::parse(network);
    auto ip = parse_ip(address);
    return cidr && ip && cidr->contains(*ip);
}

TEST(Cidr, MatchesIpv4Networks) {
    EXPECT_TRUE(in("127.0.0.0/8", "127.0.0.1"));
    EXPECT_TRUE(in("127.0.0.0/8", "127.255.255.255"));
    EXPECT_FALSE(in("127.0.0.0/8", "128.0.0.1"));
    EXPECT_TRUE(in("192.168.1.0/24", "192.168.1.77"));
    EXPECT_FALSE(in("192.168.1.0/24", "192.168.2.77"));
    EXPECT_TRUE(in("10.1.2.3/32", "10.1.2.3"));
    EXPECT_FALSE(in("10.1.2.3/32", "10.1.2.4"));
    EXPECT_TRUE(in("0.0.0.0/0", "8.8.8.8"));
}

TEST(Cidr, MatchesPrefixesThatAreNotByteAligned) {
    EXPECT_TRUE(in("172.16.0.0/12", "172.31.255.1"));
    EXPECT_FALSE(in("172.16.0.0/12", "172.32.0.1"));
    EXPECT_TRUE(in("2001:db8::/33", "2001:db8:7fff::1"));
    EXPECT_FALSE(in("2001:db8::/33", "2001:db8:8000::1"));
}

TEST(Cidr, MatchesIpv6Networks) {
    EXPECT_TRUE(in("::1/128", "::1"));
    EXPECT_FALSE(in("::1/128", "::2"));
    EXPECT_TRUE(in("2001:db8::/32", "2001:db8:1::5"));
    EXPECT_FALSE(in("2001:db8::/32", "2001:db9::5"));
}

TEST(Cidr, MatchesIpv4MappedIpv6ClientsAgainstIpv4Networks) {
    EXPECT_TRUE(in("127.0.0.0/8", "::ffff:127.0.0.1"));
    EXPECT_FALSE(in("10.0.0.0/8", "::ffff:11.0.0.1"));
}

TEST(Cidr, Ipv4NetworksDoNotMatchOtherIpv6Addresses) {
    EXPECT_FALSE(in("0.0.0.0/0", "::1"));
    EXPECT_FALSE(in("0.0.0.0/0", "2001:db8::1"));
    EXPECT_FALSE(in("127.0.0.0/8", "::127.0.0.1"));
}

TEST(Cidr, TakesABareAddressAsOneHost) {
    EXPECT_TRUE(in("10.0.0.5", "10.0.0.5"));
    EXPECT_FALSE(in("10.0.0.5", "10.0.0.6"));
    EXPECT_TRUE(in("2001:db8::5", "2001:db8::5"));
}

TEST(Cidr, ClearsHostBits) {
    EXPECT_TRUE(in("127.0.0.1/8", "127.9.9.9"));
}

TEST(Cidr, RefusesMalformedNetworks) {
    for (const char* bad : {"", "/8", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/-1",
                            "10.0.0.0/+8", "10.0.0.0/8/8", "10.0.0/8", "10.0.0.256/8",
                            "example.com/8", "10.0.0.0/8 ", "fe80::1%eth0/64", "10.0.0.0/08x"}) {
        EXPECT_FALSE(Cidr::parse(bad)) << bad;
    }
}

TEST(ParseIp, RefusesWhatIsNotAnAddress) {
    for (const char* bad : {"", "localhost", "1.2.3", "1.2.3.4.5", "::g", "[::1]", "1.2.3.4 "}) {
        EXPECT_FALSE(parse_ip(bad)) << bad;
    }
    EXPECT_FALSE(parse_ip(std::string(100, '1')));
}

}  // namespace
}  // namespace herald::config
