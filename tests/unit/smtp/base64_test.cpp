#include "smtp/base64.hpp"

#include <gtest/gtest.h>

namespace herald::smtp {
namespace {

TEST(Base64, DecodesPaddedText) {
    EXPECT_EQ(decode_base64("VXNlcm5hbWU6"), "Username:");
    EXPECT_EQ(decode_base64("YQ=="), "a");
    EXPECT_EQ(decode_base64("YWI="), "ab");
    EXPECT_EQ(decode_base64(""), "");
    EXPECT_EQ(decode_base64("AGFsaWNlAHNlY3JldA=="), std::string("\0alice\0secret", 13));
}

TEST(Base64, RejectsMalformedInput) {
    EXPECT_FALSE(decode_base64("YQ"));        // unpadded
    EXPECT_FALSE(decode_base64("Y==="));      // too much padding
    EXPECT_FALSE(decode_base64("YQ=a"));      // data after padding
    EXPECT_FALSE(decode_base64("YQ==YQ=="));  // padding in the middle
    EXPECT_FALSE(decode_base64("YW I="));     // whitespace
    EXPECT_FALSE(decode_base64(std::string("YW\0=", 4)));
    EXPECT_FALSE(decode_base64("\xff\xfe\xfd\xfc"));
}

TEST(Base64, RoundTripsEveryLength) {
    std::string bytes;
    for (int i = 0; i < 40; ++i) {
        EXPECT_EQ(decode_base64(encode_base64(bytes)), bytes);
        bytes += static_cast<char>(i * 37);
    }
    EXPECT_EQ(encode_base64("Password:"), "UGFzc3dvcmQ6");
}

}  // namespace
}  // namespace herald::smtp
