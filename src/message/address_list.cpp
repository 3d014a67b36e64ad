#include "message/address_list.hpp"

#include <utility>

namespace herald::message {

namespace {

std::string trim(std::string_view s) {
    const auto not_space = [](char c) { return c != ' ' && c != '\t' && c != '\r' && c != '\n'; };
    std::size_t b = 0;
    std::size_t e = s.size();
    while (b < e && !not_space(s[b])) ++b;
    while (e > b && !not_space(s[e - 1])) --e;
    return std::string(s.substr(b, e - b));
}

// Words separated by whitespace outside quotes.
std::vector<std::string> split_words(std::string_view s) {
    std::vector<std::string> words;
    std::string word;
    bool quoted = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        const bool space = c == ' ' || c == '\t' || c == '\r' || c == '\n';
        if (space && !quoted) {
            if (!word.empty()) words.push_back(std::exchange(word, std::string()));
            continue;
        }
        word += c;
        if (quoted && c == '\\' && i + 1 < s.size())
            word += s[++i];
        else if (c == '"')
            quoted = !quoted;
    }
    if (!word.empty()) words.push_back(std::move(word));
    return words;
}

// Collects one mailbox while the list is scanned: the text outside comments, and the part
// in <> when there is one (that is the address; the rest is the display name).
struct MailboxText {
    std::string plain;
    std::string angle;
    bool has_angle = false;

    void flush_into(std::vector<std::string>& out) {
        if (has_angle) {
            std::string address = trim(angle);
            if (!address.empty()) out.push_back(std::move(address));
        } else {
            // Bare addresses separated only by folding ("a@x\r\n b@y") are still two.
            for (auto& word : split_words(plain)) out.push_back(std::move(word));
        }
        *this = MailboxText{};
    }
};

}  // namespace

std::vector<std::string> split_address_list(std::string_view list) {
    std::vector<std::string> out;
    MailboxText current;
    bool quoted = false;
    bool in_angle = false;
    bool in_literal = false;  // "[IPv6:::1]": its colons start no group
    int comment_depth = 0;
    for (std::size_t i = 0; i < list.size(); ++i) {
        const char c = list[i];
        std::string& sink = in_angle ? current.angle : current.plain;
        if (comment_depth > 0) {
            if (c == '\\') ++i;
            if (c == '(') ++comment_depth;
            if (c == ')') --comment_depth;
            continue;
        }
        if (quoted) {
            sink += c;
            if (c == '\\' && i + 1 < list.size()) sink += list[++i];
            if (c == '"') quoted = false;
            continue;
        }
        if (in_literal) {
            sink += c;
            if (c == ']') in_literal = false;
            continue;
        }
        if (c == '"') {
            quoted = true;
            sink += c;
        } else if (c == '[') {
            in_literal = true;
            sink += c;
        } else if (c == '(') {
            comment_depth = 1;
        } else if (c == '<' && !in_angle) {
            in_angle = true;
            current.has_angle = true;
            current.angle.clear();
        } else if (c == '>' && in_angle) {
            in_angle = false;
        } else if ((c == ',' || c == ';') && !in_angle) {
            current.flush_into(out);
        } else if (c == ':' && !in_angle) {
            current = MailboxText{};  // "group name:" starts a group (RFC 5322 3.4)
        } else {
            sink += c;
        }
    }
    // An unterminated quote swallowed the rest: there is no address to trust in it.
    if (quoted) current = MailboxText{};
    current.flush_into(out);
    return out;
}

}  // namespace herald::message
