#include "dns/reverse_name.hpp"

#include <gtest/gtest.h>

namespace herald::dns {
namespace {

TEST(ReverseName, ReversesIpv4OctetsUnderInAddrArpa) {
    EXPECT_EQ(reverse_name("192.0.2.1"), "1.2.0.192.in-addr.arpa");
}

TEST(ReverseName, SpellsEveryIpv6NibbleUnderIp6Arpa) {
    EXPECT_EQ(reverse_name("2001:db8::1"),
              "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
    EXPECT_EQ(reverse_name("CAFE:BABE::1"),
              "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.e.b.a.b.e.f.a.c.ip6.arpa");
}

TEST(ReverseName, RejectsWhatIsNotAnAddress) {
    using namespace std::string_view_literals;
    for (std::string_view bad : {""sv, "example.com"sv, "1.2.3"sv, "1.2.3.256"sv, "::g"sv,
                                 " 1.2.3.4"sv, "1.2.3.4/24"sv, "1.2.3.4\0x"sv}) {
        EXPECT_EQ(reverse_name(bad), std::nullopt) << bad;
    }
}

}  // namespace
}  // namespace herald::dns
