#include "config/value_formats.hpp"

#include <gtest/gtest.h>

namespace herald::config {
namespace {

TEST(ParseDuration, ReadsEachUnit) {
    EXPECT_EQ(parse_duration("30s"), Seconds{30});
    EXPECT_EQ(parse_duration("5m"), Seconds{300});
    EXPECT_EQ(parse_duration("2h"), Seconds{7200});
    EXPECT_EQ(parse_duration("5d"), Seconds{5 * 86400});
    EXPECT_EQ(parse_duration("1w"), Seconds{7 * 86400});
    EXPECT_EQ(parse_duration("0s"), Seconds{0});
}

TEST(ParseDuration, AddsUpCompoundDurations) {
    EXPECT_EQ(parse_duration("1h30m"), Seconds{5400});
    EXPECT_EQ(parse_duration("1d2h3m4s"), Seconds{86400 + 7200 + 180 + 4});
}

TEST(ParseDuration, RefusesWhatIsNotADuration) {
    for (const char* bad : {"", "5", "m", "30x", "5 m", "-5m", "5m ", "1.5h", "h1", "5mm",
                            "99999999999999999999s", "4000d"}) {
        EXPECT_FALSE(parse_duration(bad)) << bad;
    }
}

TEST(ParseSize, ReadsBytesAndBinaryMultiples) {
    EXPECT_EQ(parse_size("35000000"), 35000000U);
    EXPECT_EQ(parse_size("512K"), 512U * 1024);
    EXPECT_EQ(parse_size("35M"), 36700160U);
    EXPECT_EQ(parse_size("1g"), 1073741824U);
}

TEST(ParseSize, RefusesGarbage) {
    for (const char* bad : {"", "M", "35MB", "35 M", "-1", "1T", "0x10", "99999999999999999999"}) {
        EXPECT_FALSE(parse_size(bad)) << bad;
    }
}

TEST(ParseRate, ReadsCountAndWindow) {
    auto rate = parse_rate("100/hour");
    ASSERT_TRUE(rate);
    EXPECT_EQ(rate->count, 100U);
    EXPECT_EQ(rate->window, Seconds{3600});
    EXPECT_EQ(parse_rate("10/minute")->window, Seconds{60});
    EXPECT_EQ(parse_rate("5/second")->window, Seconds{1});
    EXPECT_EQ(parse_rate("1000/day")->window, Seconds{86400});
}

TEST(ParseRate, RefusesZeroAndUnknownWindows) {
    for (const char* bad : {"0/hour", "100", "100/", "/hour", "100/hours", "100/week", "x/hour",
                            "100 / hour", "-1/hour"}) {
        EXPECT_FALSE(parse_rate(bad)) << bad;
    }
}

TEST(IsFqdn, WantsTwoLabelsAndANonNumericTopLabel) {
    EXPECT_TRUE(is_fqdn("mail.example.com"));
    EXPECT_TRUE(is_fqdn("a-b.example"));
    EXPECT_FALSE(is_fqdn("localhost"));
    EXPECT_FALSE(is_fqdn("127.0.0.1"));
    EXPECT_FALSE(is_fqdn("mail.example.com."));
    EXPECT_FALSE(is_fqdn("-mail.example.com"));
    EXPECT_FALSE(is_fqdn("mail..example.com"));
    EXPECT_FALSE(is_fqdn("mail_x.example.com"));
    EXPECT_FALSE(is_fqdn(std::string(64, 'a') + ".com"));
    EXPECT_FALSE(is_fqdn(""));
}

TEST(ParseHostPort, SplitsIpv4Ipv6AndNames) {
    auto v4 = parse_host_port("127.0.0.1:2525");
    ASSERT_TRUE(v4);
    EXPECT_EQ(v4->host, "127.0.0.1");
    EXPECT_EQ(v4->port, 2525);
    auto v6 = parse_host_port("[::1]:25");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->host, "::1");
    EXPECT_EQ(format_host_port(*v6), "[::1]:25");
    EXPECT_TRUE(parse_host_port("localhost:8025"));
}

TEST(ParseHostPort, ExplainsWhatIsWrong) {
    EXPECT_NE(parse_host_port("127.0.0.1:99999").error().find("out of range"), std::string::npos);
    EXPECT_NE(parse_host_port("127.0.0.1:0").error().find("out of range"), std::string::npos);
    EXPECT_NE(parse_host_port("127.0.0.1").error().find("host:port"), std::string::npos);
    EXPECT_NE(parse_host_port("::1:25").error().find("brackets"), std::string::npos);
    EXPECT_FALSE(parse_host_port("[::1]25"));
    EXPECT_FALSE(parse_host_port("[1.2.3.4]:25"));
    EXPECT_FALSE(parse_host_port("[::1:25"));
    EXPECT_FALSE(parse_host_port("bad host:25"));
    EXPECT_FALSE(parse_host_port(":25"));
    EXPECT_FALSE(parse_host_port("127.0.0.1:+25"));
}

TEST(LooksLikeCryptHash, AcceptsModernHashesOnly) {
    EXPECT_TRUE(looks_like_crypt_hash(
        "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7"));
    EXPECT_TRUE(looks_like_crypt_hash("$6$rounds=5000$salt$abcdefgh/ij"));
    EXPECT_TRUE(
        looks_like_crypt_hash("$2b$12$abcdefghijklmnopqrstuuvwxyz0123456789ABCDEFGHIJKLMNOPQ"));
    EXPECT_FALSE(looks_like_crypt_hash("$1$salt$md5hashhere"));
    EXPECT_FALSE(looks_like_crypt_hash("abJnggxhB/yWI"));  // DES
    EXPECT_FALSE(looks_like_crypt_hash("plaintext"));
    EXPECT_FALSE(looks_like_crypt_hash("$y$..."));
    EXPECT_FALSE(looks_like_crypt_hash("$6$salt$"));
    EXPECT_FALSE(looks_like_crypt_hash("$6$salt$hash with space"));
    EXPECT_FALSE(looks_like_crypt_hash(""));
}

}  // namespace
}  // namespace herald::config
