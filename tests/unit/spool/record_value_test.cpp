#include "spool/record_value.hpp"

#include <gtest/gtest.h>

namespace herald::spool {
namespace {

TEST(RecordValue, OrdinaryAddressesAreWrittenAsTheyAre) {
    EXPECT_EQ(escape_record_value("alice+tag@example.com"), "alice+tag@example.com");
    EXPECT_EQ(escape_record_value("üser@bücher.example"), "üser@bücher.example");
}

TEST(RecordValue, LineBreaksControlBytesAndPercentAreEscaped) {
    std::string hostile("a\r\nR bob@evil\0%\x7f", 16);
    auto escaped = escape_record_value(hostile);
    EXPECT_EQ(escaped, "a%0D%0AR bob@evil%00%25%7F");
    EXPECT_EQ(unescape_record_value(escaped), hostile);
}

TEST(RecordValue, EveryByteSurvivesARoundTrip) {
    std::string all;
    for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
    auto escaped = escape_record_value(all);
    EXPECT_EQ(escaped.find('\n'), std::string::npos);
    EXPECT_EQ(unescape_record_value(escaped), all);
}

TEST(RecordValue, MalformedEscapesAreRefused) {
    EXPECT_FALSE(unescape_record_value("%"));
    EXPECT_FALSE(unescape_record_value("%4"));
    EXPECT_FALSE(unescape_record_value("%zz"));
    EXPECT_FALSE(unescape_record_value("%0a"));  // written upper-case only
    EXPECT_FALSE(unescape_record_value("raw\nline"));
}

TEST(RecordValue, TimesRoundTripAtMicrosecondPrecision) {
    auto t = std::chrono::system_clock::time_point(std::chrono::microseconds(1764000000123456));
    EXPECT_EQ(encode_record_time(t), "1764000000123456");
    EXPECT_EQ(parse_record_time("1764000000123456"), t);
}

TEST(RecordValue, HostileTimesAndIntegersAreRefused) {
    EXPECT_FALSE(parse_record_time("9223372036854775807"));
    EXPECT_FALSE(parse_record_time("-9223372036854775808"));
    EXPECT_FALSE(parse_record_time("12x"));
    EXPECT_FALSE(parse_record_time(""));
    EXPECT_FALSE(parse_record_integer<unsigned>("+1"));
    EXPECT_FALSE(parse_record_integer<unsigned>("99999999999999999999"));
    EXPECT_EQ(parse_record_integer<unsigned>("42"), 42u);
}

}  // namespace
}  // namespace herald::spool
