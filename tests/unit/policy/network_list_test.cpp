#include "policy/network_list.hpp"

#include <gtest/gtest.h>

namespace herald::policy {
namespace {

TEST(NetworkList, MatchesClientsInsideAnyNetwork) {
    auto list = NetworkList::parse({"127.0.0.0/8", "10.0.0.0/8", "2001:db8::/32", "::1/128"});
    ASSERT_TRUE(list);
    EXPECT_TRUE(list->contains("127.0.0.1"));
    EXPECT_TRUE(list->contains("10.200.3.4"));
    EXPECT_TRUE(list->contains("2001:db8:ffff::1"));
    EXPECT_TRUE(list->contains("::1"));
    EXPECT_FALSE(list->contains("192.0.2.1"));
    EXPECT_FALSE(list->contains("2001:db9::1"));
    EXPECT_FALSE(list->contains("::2"));
}

TEST(NetworkList, MatchesIpv4MappedClientsAgainstIpv4Networks) {
    auto list = NetworkList::parse({"127.0.0.0/8"});
    ASSERT_TRUE(list);
    EXPECT_TRUE(list->contains("::ffff:127.0.0.1"));
    EXPECT_TRUE(list->contains("::FFFF:127.1.2.3"));
    EXPECT_FALSE(list->contains("::ffff:128.0.0.1"));
}

TEST(NetworkList, PutsWhatIsNotAnAddressInNoNetwork) {
    auto list = NetworkList::parse({"0.0.0.0/0", "::/0"});
    ASSERT_TRUE(list);
    for (const char* bad : {"", "localhost", "127.0.0.1:25", "[::1]", "fe80::1%eth0", " 1.2.3.4",
                            "1.2.3.4\n", "unix:/run/x"}) {
        EXPECT_FALSE(list->contains(bad)) << bad;
    }
    EXPECT_TRUE(list->contains("203.0.113.9"));
}

TEST(NetworkList, EmptyListContainsNobody) {
    NetworkList none;
    EXPECT_TRUE(none.empty());
    EXPECT_FALSE(none.contains("127.0.0.1"));
    auto parsed = NetworkList::parse({});
    ASSERT_TRUE(parsed);
    EXPECT_FALSE(parsed->contains("::1"));
}

TEST(NetworkList, RefusesAMalformedEntry) {
    auto list = NetworkList::parse({"127.0.0.0/8", "10.0.0.0/40"});
    ASSERT_FALSE(list);
    EXPECT_NE(list.error().find("10.0.0.0/40"), std::string::npos);
}

}  // namespace
}  // namespace herald::policy
