#include "log/log_value.hpp"

#include "base/ascii_case.hpp"

#include <algorithm>
#include <array>

namespace herald::log {
namespace {

constexpr std::string_view kTruncated = "...";
constexpr std::array<std::string_view, 4> kMarks = {"<=", "=>", "==", "**"};

bool plain_byte(unsigned char c) {
    return c > 0x20 && c < 0x7f && c != '"' && c != '\\';
}

// The length of the valid UTF-8 sequence at s[i] that is safe to show as is, or 0.
std::size_t safe_utf8_length(std::string_view s, std::size_t i) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char lead = byte(i);
    std::size_t length;
    char32_t cp;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2, cp = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3, cp = lead & 0x0F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4, cp = lead & 0x07;
    } else {
        return 0;
    }
    if (i + length > s.size()) return 0;
    for (std::size_t k = 1; k < length; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (byte(i + k) & 0x3F);
    }
    bool overlong = (length == 3 && cp < 0x800) || (length == 4 && cp < 0x10000);
    bool invalid = cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF);
    bool dangerous = (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
                     (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
                     cp == 0x200E || cp == 0x200F || cp == 0xFEFF;
    return overlong || invalid || dangerous ? 0 : length;
}

void append_hex_escape(std::string& out, unsigned char c) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += "\\x";
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
}

std::string quote(std::string_view value) {
    bool cut = value.size() > kMaxLogValue;
    if (cut) value = value.substr(0, kMaxLogValue);
    std::string out = "\"";
    out.reserve(value.size() + 8);
    for (std::size_t i = 0; i < value.size();) {
        auto c = static_cast<unsigned char>(value[i]);
        if (c >= 0x80) {
            if (std::size_t n = safe_utf8_length(value, i); n > 0) {
                out.append(value.substr(i, n));
                i += n;
            } else {
                append_hex_escape(out, c);
                ++i;
            }
            continue;
        }
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    append_hex_escape(out, c);
                } else {
                    out.push_back(static_cast<char>(c));
                }
        }
        ++i;
    }
    if (cut) out += kTruncated;
    out.push_back('"');
    return out;
}

bool is_plain(std::string_view value) {
    return !value.empty() && value.size() <= kMaxLogValue &&
           std::all_of(value.begin(), value.end(),
                       [](char c) { return plain_byte(static_cast<unsigned char>(c)); });
}

std::optional<std::string> unquote(std::string_view token) {
    if (token.size() < 2 || token.back() != '"') return std::nullopt;
    token = token.substr(1, token.size() - 2);
    std::string out;
    out.reserve(token.size());
    for (std::size_t i = 0; i < token.size(); ++i) {
        char c = token[i];
        if (c == '"') return std::nullopt;
        if (c != '\\') {
            out.push_back(c);
            continue;
        }
        if (++i == token.size()) return std::nullopt;
        switch (token[i]) {
            case '"':
                out.push_back('"');
                break;
            case '\\':
                out.push_back('\\');
                break;
            case 'r':
                out.push_back('\r');
                break;
            case 'n':
                out.push_back('\n');
                break;
            case 't':
                out.push_back('\t');
                break;
            case 'x': {
                if (i + 2 >= token.size()) return std::nullopt;
                int high = hex_digit_value(token[i + 1]), low = hex_digit_value(token[i + 2]);
                if (high < 0 || low < 0) return std::nullopt;
                out.push_back(static_cast<char>(high * 16 + low));
                i += 2;
                break;
            }
            default:
                return std::nullopt;
        }
    }
    return out;
}

}  // namespace

std::string format_value(std::string_view value) {
    return is_plain(value) ? std::string(value) : quote(value);
}

std::string format_quoted(std::string_view value) {
    return quote(value);
}

std::string format_address(std::string_view address) {
    if (address.empty()) return "<>";
    if (address == "<>") return quote(address);
    return format_value(address);
}

bool is_record_mark(std::string_view token) {
    return std::find(kMarks.begin(), kMarks.end(), token) != kMarks.end();
}

std::string format_text(std::string_view text) {
    auto first_word = text.substr(0, text.find(' '));
    bool looks_like_record = text.empty() || text.front() == '"' || text.front() == ' ' ||
                             text.back() == ' ' || is_record_mark(first_word);
    bool plain = text.size() <= kMaxLogValue && std::all_of(text.begin(), text.end(), [](char c) {
                     return c == ' ' || plain_byte(static_cast<unsigned char>(c));
                 });
    return plain && !looks_like_record ? std::string(text) : quote(text);
}

std::optional<std::string> parse_value(std::string_view token) {
    if (!token.empty() && token.front() == '"') return unquote(token);
    return std::string(token);
}

}  // namespace herald::log
