#include "smtp/reply.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <string_view>

namespace herald::smtp {

namespace {

// A reply line must not carry CR or LF of its own: text from a policy or from the client
// could otherwise inject extra reply lines (RFC 5321 4.2.1 defines lines by CRLF only).
void append_single_line(std::string& out, std::string_view text) {
    const std::size_t start = out.size();
    out += text;
    for (std::size_t i = start; i < out.size(); ++i) {
        if (out[i] == '\r' || out[i] == '\n') out[i] = ' ';
    }
}

void append_line_body(std::string& out, const std::string& enhanced, std::string_view text) {
    out += enhanced;
    if (!enhanced.empty() && !text.empty()) out += ' ';
    append_single_line(out, text);
}

}  // namespace

std::string Reply::wire() const {
    std::array<char, 16> digits{};
    const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), code).ptr;
    const std::string_view code_text(digits.data(), static_cast<std::size_t>(end - digits.data()));
    std::size_t size = 0;
    for (const auto& line : lines) size += code_text.size() + enhanced.size() + line.size() + 4;
    std::string out;
    out.reserve(std::max<std::size_t>(size, code_text.size() + enhanced.size() + 3));
    if (lines.empty()) {
        out += code_text;
        out += ' ';
        append_line_body(out, enhanced, "");
        out += "\r\n";
        return out;
    }
    for (std::size_t i = 0; i < lines.size(); ++i) {
        // RFC 5321 4.2.1: "code-text" on every line but the last, "code text" on the last;
        // RFC 2034 4: the enhanced code starts the text of every line.
        out += code_text;
        out += i + 1 < lines.size() ? '-' : ' ';
        append_line_body(out, enhanced, lines[i]);
        out += "\r\n";
    }
    return out;
}

std::string Reply::summary() const {
    std::string out = std::to_string(code);
    if (!enhanced.empty()) out += " " + enhanced;
    for (const auto& line : lines) {
        if (line.empty()) continue;
        out += ' ';
        append_single_line(out, line);
    }
    return out;
}

}  // namespace herald::smtp
