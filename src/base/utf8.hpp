#pragma once
// UTF-8 as RFC 3629 defines it: what SMTPUTF8 addresses (RFC 6531) and JSON strings must be.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace herald {

// A byte of a multi-byte UTF-8 sequence (or of no valid one): anything beyond US-ASCII.
inline bool is_non_ascii(char c) {
    return static_cast<unsigned char>(c) >= 0x80;
}

// Eight bytes at a time: asked of every message's whole text (8BITMIME), byte by byte it
// showed in profiles.
inline bool has_non_ascii(std::string_view s) {
    constexpr std::uint64_t kHighBits = 0x8080808080808080ull;
    std::size_t i = 0;
    for (; i + sizeof(std::uint64_t) <= s.size(); i += sizeof(std::uint64_t)) {
        std::uint64_t word;
        std::memcpy(&word, s.data() + i, sizeof word);
        if (word & kHighBits) return true;
    }
    return std::any_of(s.begin() + static_cast<std::ptrdiff_t>(i), s.end(), is_non_ascii);
}

struct CodePoint {
    char32_t value = 0;
    std::size_t length = 0;  // bytes it takes: 1 to 4
};

// The code point `s` begins with; nullopt when `s` is empty or does not begin with
// well-formed UTF-8 (RFC 3629 4: no overlongs, no surrogates, nothing above U+10FFFF).
std::optional<CodePoint> decode_utf8(std::string_view s);

// Well-formed UTF-8 throughout.
bool valid_utf8(std::string_view s);

// `s` with each byte that does not begin well-formed UTF-8 replaced by U+FFFD: what a JSON
// string (RFC 8259 8.1) can carry of text from the network.
std::string valid_utf8_or_replaced(std::string_view s);

}  // namespace herald
