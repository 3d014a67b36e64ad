#include "message/display_name.hpp"

#include <gtest/gtest.h>

namespace herald::message {
namespace {

TEST(DisplayName, AnAsciiNameIsAQuotedStringWithItsQuotesEscaped) {
    EXPECT_EQ(display_name_phrase("Ann \"the\" Admin\\"), R"("Ann \"the\" Admin\\")");
}

TEST(DisplayName, ANonAsciiNameIsEncodedWordsOfWholeCharacters) {
    EXPECT_EQ(display_name_phrase("Zoë B"), "=?UTF-8?Q?Zo=C3=AB_B?=");
    // 30 two-octet characters: 180 encoded octets, split between words, never inside one.
    std::string long_name;
    for (int i = 0; i < 30; ++i) long_name += "é";
    const std::string phrase = display_name_phrase(long_name);
    std::size_t words = 0;
    for (std::size_t at = 0; (at = phrase.find("=?UTF-8?Q?", at)) != std::string::npos; ++at) {
        const std::size_t end = phrase.find("?=", at + 10);
        ASSERT_NE(end, std::string::npos);
        EXPECT_LE(end + 2 - at, 75u);
        EXPECT_EQ((end - at - 10) % 6, 0u) << "a character split at " << at;
        ++words;
    }
    EXPECT_GE(words, 3u);
}

TEST(DisplayName, LineBreaksCannotEndTheField) {
    const std::string field = mailbox_field("Eve\r\nBcc: victim@example.net", "eve@example.com");
    EXPECT_EQ(field.find('\r'), std::string::npos);
    EXPECT_EQ(field.find('\n'), std::string::npos);
    EXPECT_EQ(field, "\"EveBcc: victim@example.net\" <eve@example.com>");
}

TEST(DisplayName, NoNameIsTheAddressAlone) {
    EXPECT_EQ(mailbox_field("", "a@example.com"), "a@example.com");
}

}  // namespace
}  // namespace herald::message
