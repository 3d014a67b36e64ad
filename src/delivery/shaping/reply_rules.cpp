#include "delivery/shaping/reply_rules.hpp"

#include <algorithm>

namespace herald::delivery {

namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// "4.7.28": class, subject and detail (RFC 3463 2), at most three digits each.
std::size_t enhanced_code_length(std::string_view text) {
    std::size_t i = 0;
    for (int part = 0; part < 3; ++part) {
        if (part > 0) {
            if (i >= text.size() || text[i] != '.') return 0;
            ++i;
        }
        const std::size_t start = i;
        while (i < text.size() && is_digit(text[i]) && i - start < 3) ++i;
        if (i == start) return 0;
    }
    return i;
}

}  // namespace

ReplyCodes reply_codes(std::string_view reply) {
    ReplyCodes codes;
    if (reply.size() < 3 || !is_digit(reply[0]) || !is_digit(reply[1]) || !is_digit(reply[2])) {
        return codes;
    }
    if (reply.size() > 3 && reply[3] != ' ' && reply[3] != '-') return codes;
    codes.code = (reply[0] - '0') * 100 + (reply[1] - '0') * 10 + (reply[2] - '0');
    std::string_view rest = reply.substr(std::min<std::size_t>(4, reply.size()));
    const std::size_t length = enhanced_code_length(rest);
    if (length > 0 && (length == rest.size() || rest[length] == ' ')) {
        codes.enhanced = std::string(rest.substr(0, length));
    }
    return codes;
}

ReplyRules::ReplyRules(const std::vector<config::ShapingRule>& rules) {
    for (const auto& rule : rules) {
        Compiled compiled{rule, {}};
        // The config loader compiled it already; a pattern it refused never gets here.
        if (!rule.match.empty()) {
            compiled.text = std::regex(rule.match, std::regex::ECMAScript | std::regex::icase);
        }
        rules_.push_back(std::move(compiled));
    }
}

const config::ShapingRule* ReplyRules::match(std::string_view provider,
                                             std::string_view reply) const {
    const ReplyCodes codes = reply_codes(reply);
    for (const auto& [rule, text] : rules_) {
        if (!rule.provider.empty() && rule.provider != provider) continue;
        if (rule.code != 0 && rule.code != codes.code) continue;
        if (!rule.enhanced_code.empty() && rule.enhanced_code != codes.enhanced) continue;
        if (!rule.match.empty() && !std::regex_search(reply.begin(), reply.end(), text)) continue;
        return &rule;
    }
    return nullptr;
}

}  // namespace herald::delivery
