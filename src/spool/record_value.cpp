#include "spool/record_value.hpp"

#include <cstdint>

namespace herald::spool {
namespace {

bool needs_escape(unsigned char c) {
    return c < 0x20 || c == 0x7f || c == '%';
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::string escape_record_value(std::string_view value) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(value.size());
    for (char ch : value) {
        auto c = static_cast<unsigned char>(ch);
        if (needs_escape(c)) {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 15]);
        } else {
            out.push_back(ch);
        }
    }
    return out;
}

std::optional<std::string> unescape_record_value(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c != '%') {
            if (needs_escape(c)) return std::nullopt;
            out.push_back(text[i]);
            continue;
        }
        if (i + 2 >= text.size()) return std::nullopt;
        int high = hex_value(text[i + 1]);
        int low = hex_value(text[i + 2]);
        if (high < 0 || low < 0) return std::nullopt;
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
    }
    return out;
}

std::string encode_record_time(std::chrono::system_clock::time_point t) {
    return std::to_string(
        std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count());
}

std::optional<std::chrono::system_clock::time_point> parse_record_time(std::string_view text) {
    constexpr std::int64_t kMaxMicros = 9'000'000'000'000'000;
    auto micros = parse_record_integer<std::int64_t>(text);
    if (!micros || *micros > kMaxMicros || *micros < -kMaxMicros) return std::nullopt;
    return std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::microseconds(*micros)));
}

}  // namespace herald::spool
