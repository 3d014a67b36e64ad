#include "api/substitutions.hpp"

#include <algorithm>
#include <cstddef>
#include <optional>

namespace herald::api {

namespace {

bool is_name_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

struct Placeholder {
    std::string_view name;
    std::size_t length;  // of the whole "{{ name }}"
};

// The placeholder that `text` begins with, if it begins with one.
std::optional<Placeholder> placeholder_at(std::string_view text) {
    if (!text.starts_with("{{")) return std::nullopt;
    std::size_t i = 2;
    while (i < text.size() && text[i] == ' ') ++i;
    const std::size_t name_begin = i;
    while (i < text.size() && is_name_char(text[i])) ++i;
    const std::size_t name_length = i - name_begin;
    if (name_length == 0 || name_length > kMaxPlaceholderName) return std::nullopt;
    while (i < text.size() && text[i] == ' ') ++i;
    if (text.substr(i, 2) != "}}") return std::nullopt;
    return Placeholder{text.substr(name_begin, name_length), i + 2};
}

// Calls on_literal(text) and on_placeholder(name) for the pieces of `text`, in order; stops
// early when on_placeholder returns false.
template <typename OnLiteral, typename OnPlaceholder>
void scan(std::string_view text, OnLiteral on_literal, OnPlaceholder on_placeholder) {
    std::size_t literal_begin = 0;
    std::size_t pos = 0;
    while ((pos = text.find("{{", pos)) != std::string_view::npos) {
        const auto placeholder = placeholder_at(text.substr(pos));
        if (!placeholder) {
            ++pos;  // "{{{a}}}": the placeholder may start at the next brace
            continue;
        }
        on_literal(text.substr(literal_begin, pos - literal_begin));
        if (!on_placeholder(placeholder->name)) return;
        pos += placeholder->length;
        literal_begin = pos;
    }
    on_literal(text.substr(literal_begin));
}

}  // namespace

std::vector<std::string> placeholders_in(std::string_view text) {
    std::vector<std::string> names;
    scan(
        text, [](std::string_view) {},
        [&](std::string_view name) {
            if (std::find(names.begin(), names.end(), name) == names.end()) {
                names.emplace_back(name);
            }
            return true;
        });
    return names;
}

Result<std::string> substitute(std::string_view text,
                               const std::map<std::string, std::string>& values) {
    std::string out;
    out.reserve(text.size());
    std::optional<std::string> missing;
    scan(
        text, [&](std::string_view literal) { out += literal; },
        [&](std::string_view name) {
            const auto it = values.find(std::string(name));
            if (it == values.end()) {
                missing = std::string(name);
                return false;
            }
            out += it->second;
            return true;
        });
    if (missing) return Error{"no value for the placeholder {{" + *missing + "}}"};
    return out;
}

}  // namespace herald::api
