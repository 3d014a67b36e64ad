#include "message/display_name.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace herald::message {

namespace {

// RFC 2047 5(3): what may stand for itself in a "Q" encoded word within a phrase.
bool q_literal(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '!' ||
           c == '*' || c == '+' || c == '-' || c == '/';
}

// An encoded word is at most 75 octets (RFC 2047 2): "=?UTF-8?Q?" and "?=" leave 63, and
// a character is never split between two words (RFC 2047 5).
constexpr std::size_t kMaxEncodedText = 63;

std::string encoded_words(std::string_view name) {
    std::string out;
    std::string word;
    auto flush = [&] {
        if (word.empty()) return;
        if (!out.empty()) out += ' ';
        out += "=?UTF-8?Q?" + word + "?=";
        word.clear();
    };
    for (std::size_t i = 0; i < name.size();) {
        // One UTF-8 character: its lead byte and the continuation bytes after it.
        std::size_t end = i + 1;
        while (end < name.size() && (static_cast<unsigned char>(name[end]) & 0xC0) == 0x80) ++end;
        std::string encoded;
        for (std::size_t j = i; j < end; ++j) {
            const auto c = static_cast<unsigned char>(name[j]);
            if (c == ' ') {
                encoded += '_';
            } else if (q_literal(c)) {
                encoded += static_cast<char>(c);
            } else {
                encoded += fmt::format("={:02X}", c);
            }
        }
        if (word.size() + encoded.size() > kMaxEncodedText) flush();
        word += encoded;
        i = end;
    }
    flush();
    return out;
}

}  // namespace

std::string display_name_phrase(std::string_view name) {
    std::string clean;
    for (char c : name) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u != 0x7F) clean += c;
    }
    const bool ascii = std::all_of(clean.begin(), clean.end(),
                                   [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    if (!ascii) return encoded_words(clean);
    std::string quoted = "\"";
    for (char c : clean) {
        if (c == '"' || c == '\\') quoted += '\\';
        quoted += c;
    }
    return quoted + "\"";
}

std::string mailbox_field(std::string_view name, std::string_view address) {
    if (name.empty()) return std::string(address);
    return display_name_phrase(name) + " <" + std::string(address) + ">";
}

}  // namespace herald::message
