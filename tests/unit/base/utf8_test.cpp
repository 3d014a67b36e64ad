#include "base/utf8.hpp"

#include <gtest/gtest.h>

#include <string>

namespace herald {
namespace {

// Read eight bytes at a time: a byte past US-ASCII is found wherever it stands, the tail
// after the last whole eight included, and nothing else counts.
TEST(HasNonAscii, FindsAByteBeyondAsciiAtEveryPositionOfEveryLength) {
    for (std::size_t length = 0; length <= 20; ++length) {
        const std::string ascii(length, '\x7f');
        EXPECT_FALSE(has_non_ascii(ascii)) << length;
        for (std::size_t at = 0; at < length; ++at) {
            std::string text = ascii;
            text[at] = '\x80';
            EXPECT_TRUE(has_non_ascii(text)) << length << " " << at;
            EXPECT_FALSE(has_non_ascii(std::string_view(text).substr(at + 1)))
                << length << " " << at;
        }
    }
}

}  // namespace
}  // namespace herald
