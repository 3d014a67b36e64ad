#include "log/log_line.hpp"

#include <algorithm>
#include <array>

#include "log/log_value.hpp"

namespace herald::log {
namespace {

// Every token of `line`; nullopt when a quoted string is not closed.
std::optional<std::vector<std::string_view>> tokens_of(std::string_view line) {
    std::vector<std::string_view> tokens;
    TokenCursor cursor(line);
    while (auto token = cursor.next()) tokens.push_back(*token);
    if (cursor.damaged()) return std::nullopt;
    return tokens;
}

// Free text that ends a line: unquoted when it is one quoted string.
std::optional<std::string> text_of(std::string_view rest) {
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

void TokenCursor::skip_spaces() {
    while (pos_ < line_.size() && line_[pos_] == ' ') ++pos_;
}

std::optional<std::string_view> TokenCursor::next() {
    skip_spaces();
    if (pos_ >= line_.size()) return std::nullopt;
    std::size_t start = pos_;
    // Most tokens hold no quote: find their end without tracking quoted strings.
    while (pos_ < line_.size() && line_[pos_] != ' ' && line_[pos_] != '"') ++pos_;
    if (pos_ == line_.size() || line_[pos_] == ' ') return line_.substr(start, pos_ - start);
    bool quoted = false;
    for (; pos_ < line_.size() && (quoted || line_[pos_] != ' '); ++pos_) {
        if (line_[pos_] == '"') {
            quoted = !quoted;
        } else if (quoted && line_[pos_] == '\\') {
            ++pos_;
        }
    }
    if (quoted || pos_ > line_.size()) {
        damaged_ = true;
        pos_ = line_.size();
        return std::nullopt;
    }
    return line_.substr(start, pos_ - start);
}

std::string_view TokenCursor::rest() {
    skip_spaces();
    return line_.substr(pos_);
}

std::optional<MainLogView> split_main_log_line(std::string_view line) {
    TokenCursor cursor(line);
    auto ts = cursor.next();
    auto id = cursor.next();
    auto third = cursor.next();
    if (!third) return std::nullopt;
    MainLogView view{*ts, *id, {}, {}, {}};
    if (!is_record_mark(*third)) {
        view.rest = line.substr(static_cast<std::size_t>(third->data() - line.data()));
        return view;
    }
    auto address = cursor.next();
    if (!address) return std::nullopt;
    view.mark = *third;
    view.address = *address;
    view.rest = cursor.rest();
    return view;
}

std::optional<std::string_view> raw_field(std::string_view token, std::string_view key) {
    if (key == "ip") {
        if (token.size() < 2 || token.front() != '[' || token.back() != ']') return std::nullopt;
        return token.substr(1, token.size() - 2);
    }
    if (token.size() <= key.size() || token[key.size()] != '=' || !token.starts_with(key)) {
        return std::nullopt;
    }
    return token.substr(key.size() + 1);
}

std::optional<LogLine> parse_main_log_line(std::string_view line) {
    auto view = split_main_log_line(line);
    if (!view || !tokens_of(view->rest)) return std::nullopt;
    LogLine out;
    out.ts = std::string(view->ts);
    if (view->id != "-") {
        auto id = parse_value(view->id);
        if (!id) return std::nullopt;
        out.id = std::move(*id);
    }
    if (view->mark.empty()) {
        auto text = text_of(view->rest);
        if (!text) return std::nullopt;
        out.text = std::move(*text);
        return out;
    }
    out.mark = std::string(view->mark);
    auto address = parse_address(view->address);
    if (!address) return std::nullopt;
    out.address = std::move(*address);
    TokenCursor cursor(view->rest);
    while (auto token = cursor.next()) {
        if (!add_token(out, *token)) return std::nullopt;
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
