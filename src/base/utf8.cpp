#include "base/utf8.hpp"

namespace herald {

std::optional<CodePoint> decode_utf8(std::string_view s) {
    if (s.empty()) return std::nullopt;
    const auto b = static_cast<unsigned char>(s[0]);
    if (b < 0x80) return CodePoint{b, 1};
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xbf;
    char32_t value = 0;
    if (b >= 0xc2 && b <= 0xdf) {
        n = 1;
        value = b & 0x1f;
    } else if (b >= 0xe0 && b <= 0xef) {
        n = 2;
        value = b & 0x0f;
        if (b == 0xe0) lo = 0xa0;
        if (b == 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
        n = 3;
        value = b & 0x07;
        if (b == 0xf0) lo = 0x90;
        if (b == 0xf4) hi = 0x8f;
    } else {
        return std::nullopt;
    }
    if (n >= s.size()) return std::nullopt;  // truncated sequence
    for (std::size_t k = 1; k <= n; ++k) {
        const auto c = static_cast<unsigned char>(s[k]);
        const unsigned char min = k == 1 ? lo : 0x80;
        const unsigned char max = k == 1 ? hi : 0xbf;
        if (c < min || c > max) return std::nullopt;
        value = (value << 6) | (c & 0x3f);
    }
    return CodePoint{value, n + 1};
}

bool valid_utf8(std::string_view s) {
    while (!s.empty()) {
        auto cp = decode_utf8(s);
        if (!cp) return false;
        s.remove_prefix(cp->length);
    }
    return true;
}

std::string valid_utf8_or_replaced(std::string_view s) {
    if (valid_utf8(s)) return std::string(s);
    std::string out;
    out.reserve(s.size() + 16);
    while (!s.empty()) {
        if (const auto point = decode_utf8(s)) {
            out.append(s.substr(0, point->length));
            s.remove_prefix(point->length);
        } else {
            out.append("\xEF\xBF\xBD");
            s.remove_prefix(1);
        }
    }
    return out;
}

}  // namespace herald
