#include "dns/rdata.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace herald::dns {
namespace {

using namespace std::string_view_literals;
using Bytes = std::vector<std::uint8_t>;

Bytes wire(std::string_view text) {
    return Bytes(text.begin(), text.end());
}

TEST(Rdata, DecodesANameWithoutTheRootDot) {
    EXPECT_EQ(decode_name(wire("\4mail\7example\3com\0"sv)), "mail.example.com");
}

TEST(Rdata, DecodesTheRootAsEmpty) {
    EXPECT_EQ(decode_name(Bytes{0}), "");
}

TEST(Rdata, EscapesDotsAndControlBytesInLabels) {
    EXPECT_EQ(decode_name(wire("\3a.b\2\n\\\0"sv)), "a\\046b.\\010\\092");
}

TEST(Rdata, RejectsMalformedNames) {
    const std::vector<Bytes> bad = {
        {},                   // nothing
        wire("\4mail"),       // no root label
        wire("\5mail\0"sv),   // label longer than the data
        {0xc0, 0x0c},         // compression pointer
        wire("\3com\0\0"sv),  // bytes after the root
        Bytes{64},            // label length over 63
    };
    for (const auto& rdata : bad) EXPECT_EQ(decode_name(rdata), std::nullopt);
    Bytes too_long;
    for (int i = 0; i < 5; ++i) {
        too_long.push_back(63);
        too_long.insert(too_long.end(), 63, 'a');
    }
    too_long.push_back(0);
    EXPECT_EQ(decode_name(too_long), std::nullopt);
}

TEST(Rdata, DecodesMxPreferenceAndHost) {
    const auto mx = decode_mx(wire("\x01\x02\2mx\4test\0"sv));
    ASSERT_TRUE(mx);
    EXPECT_EQ(mx->preference, 258);
    EXPECT_EQ(mx->host, "mx.test");
}

TEST(Rdata, DecodesTheNullMx) {
    const auto mx = decode_mx(Bytes{0, 0, 0});
    ASSERT_TRUE(mx);
    EXPECT_EQ(mx->host, "");
}

TEST(Rdata, RejectsTruncatedMx) {
    EXPECT_EQ(decode_mx(Bytes{0, 10}), std::nullopt);
    EXPECT_EQ(decode_mx(wire("\0\x0a\2mx"sv)), std::nullopt);
}

TEST(Rdata, DecodesTlsaFieldsAndData) {
    const auto tlsa = decode_tlsa(Bytes{3, 1, 1, 0xab, 0x00});
    ASSERT_TRUE(tlsa);
    EXPECT_EQ(*tlsa, (TlsaRecord{3, 1, 1, std::string("\xab\0", 2)}));
    EXPECT_EQ(decode_tlsa(Bytes{3, 1, 1}), std::nullopt);  // no association data
}

TEST(Rdata, JoinsTxtCharacterStringsWithoutSeparator) {
    EXPECT_EQ(decode_txt(wire("\7v=spf1 \4-all"sv)), "v=spf1 -all");
    EXPECT_EQ(decode_txt(Bytes{0}), "");
}

TEST(Rdata, RejectsTxtStringLongerThanTheData) {
    EXPECT_EQ(decode_txt(wire("\7v=spf1")), std::nullopt);
}

TEST(Rdata, DecodesAddressesOnlyOfTheirExactSize) {
    EXPECT_EQ(decode_ipv4(Bytes{192, 0, 2, 1}), "192.0.2.1");
    EXPECT_EQ(decode_ipv4(Bytes{192, 0, 2}), std::nullopt);
    Bytes v6(16, 0);
    v6[0] = 0x20, v6[1] = 0x01, v6[2] = 0x0d, v6[3] = 0xb8, v6[15] = 1;
    EXPECT_EQ(decode_ipv6(v6), "2001:db8::1");
    v6.pop_back();
    EXPECT_EQ(decode_ipv6(v6), std::nullopt);
}

}  // namespace
}  // namespace herald::dns
