#include "log/log_line.hpp"

#include <algorithm>
#include <array>

#include "log/log_value.hpp"

namespace herald::log {
namespace {

constexpr std::array<std::string_view, 4> kMarks = {"<=", "=>", "==", "**"};

// Splits at spaces outside quoted strings. nullopt when a quoted string is not closed.
std::optional<std::vector<std::string_view>> tokens_of(std::string_view line) {
    std::vector<std::string_view> tokens;
    std::size_t i = 0;
    while (i < line.size()) {
        if (line[i] == ' ') {
            ++i;
            continue;
        }
        std::size_t start = i;
        bool quoted = false;
        for (; i < line.size() && (quoted || line[i] != ' '); ++i) {
            if (line[i] == '"') {
                quoted = !quoted;
            } else if (quoted && line[i] == '\\') {
                ++i;
            }
        }
        if (quoted || i > line.size()) return std::nullopt;
        tokens.push_back(line.substr(start, i - start));
    }
    return tokens;
}

// The text from `token` to the end of the line, unquoted when it is one quoted string.
std::optional<std::string> rest_from(std::string_view line, std::string_view token) {
    auto rest = line.substr(static_cast<std::size_t>(token.data() - line.data()));
    if (!rest.empty() && rest.front() == '"') return parse_value(rest);
    return std::string(rest);
}

// One token after the fixed ones: KEY=value, [ip], or a bare quoted text.
bool add_token(LogLine& out, std::string_view token) {
    if (token.front() == '"') {
        auto text = parse_value(token);
        if (!text) return false;
        out.text = std::move(*text);
        return true;
    }
    if (token.size() >= 2 && token.front() == '[' && token.back() == ']') {
        auto ip = parse_value(token.substr(1, token.size() - 2));
        if (!ip) return false;
        out.fields.emplace_back("ip", std::move(*ip));
        return true;
    }
    auto eq = token.find('=');
    if (eq == std::string_view::npos || eq == 0) return false;
    auto value = parse_value(token.substr(eq + 1));
    if (!value) return false;
    out.fields.emplace_back(std::string(token.substr(0, eq)), std::move(*value));
    return true;
}

std::optional<std::string> parse_address(std::string_view token) {
    if (token == "<>") return std::string();
    return parse_value(token);
}

}  // namespace

const std::string* LogLine::field(std::string_view key) const {
    auto it =
        std::find_if(fields.begin(), fields.end(), [&](const auto& f) { return f.first == key; });
    return it == fields.end() ? nullptr : &it->second;
}

std::optional<LogLine> parse_main_log_line(std::string_view line) {
    auto tokens = tokens_of(line);
    if (!tokens || tokens->size() < 3) return std::nullopt;
    const auto& t = *tokens;
    LogLine out;
    out.ts = std::string(t[0]);
    if (t[1] != "-") {
        auto id = parse_value(t[1]);
        if (!id) return std::nullopt;
        out.id = std::move(*id);
    }
    if (std::find(kMarks.begin(), kMarks.end(), t[2]) == kMarks.end()) {
        auto text = rest_from(line, t[2]);
        if (!text) return std::nullopt;
        out.text = std::move(*text);
        return out;
    }
    if (t.size() < 4) return std::nullopt;
    out.mark = std::string(t[2]);
    auto address = parse_address(t[3]);
    if (!address) return std::nullopt;
    out.address = std::move(*address);
    for (std::size_t i = 4; i < t.size(); ++i) {
        if (!add_token(out, t[i])) return std::nullopt;
    }
    return out;
}

std::optional<LogLine> parse_reject_log_line(std::string_view line) {
    auto tokens = tokens_of(line);
    if (!tokens || tokens->size() < 4) return std::nullopt;
    const auto& t = *tokens;
    auto rejected = std::find(t.begin(), t.end(), "rejected:");
    if (rejected == t.begin() || rejected + 2 != t.end()) return std::nullopt;
    LogLine out;
    out.ts = std::string(t[0]);
    auto reply = parse_value(*(rejected + 1));
    auto command = parse_value(*(rejected - 1));
    if (!reply || !command || rejected - 1 == t.begin()) return std::nullopt;
    out.text = std::move(*reply);
    for (auto it = t.begin() + 1; it < rejected - 1; ++it) {
        if (!add_token(out, *it)) return std::nullopt;
    }
    out.fields.emplace_back("command", std::move(*command));
    return out;
}

}  // namespace herald::log
