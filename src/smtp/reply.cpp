#include "smtp/reply.hpp"

#include <string_view>

namespace herald::smtp {

namespace {

// A reply line must not carry CR or LF of its own: text from a policy or from the client
// could otherwise inject extra reply lines (RFC 5321 4.2.1 defines lines by CRLF only).
std::string single_line(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c == '\r' || c == '\n') c = ' ';
    }
    return out;
}

std::string line_body(const std::string& enhanced, std::string_view text) {
    if (enhanced.empty()) return single_line(text);
    if (text.empty()) return enhanced;
    return enhanced + " " + single_line(text);
}

}  // namespace

std::string Reply::wire() const {
    const std::string code_text = std::to_string(code);
    if (lines.empty()) return code_text + " " + line_body(enhanced, "") + "\r\n";
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        // RFC 5321 4.2.1: "code-text" on every line but the last, "code text" on the last;
        // RFC 2034 4: the enhanced code starts the text of every line.
        const char separator = i + 1 < lines.size() ? '-' : ' ';
        out += code_text;
        out += separator;
        out += line_body(enhanced, lines[i]);
        out += "\r\n";
    }
    return out;
}

std::string Reply::summary() const {
    std::string out = std::to_string(code);
    if (!enhanced.empty()) out += " " + enhanced;
    for (const auto& line : lines) {
        if (!line.empty()) out += " " + single_line(line);
    }
    return out;
}

}  // namespace herald::smtp
