#pragma once
// The config text as toml++ gets it: ASCII only. toml++ 3.3 (Debian 12) classifies
// non-ASCII characters as whitespace or not with a table that reaches __builtin_unreachable()
// for most of them (U+00A1, U+00E9, ...): undefined behaviour wherever its parser asks, and
// it asks even ahead of where a string begins when it records a bad value. So the text is
// made ASCII first, its meaning unchanged: in a basic string a non-ASCII character becomes
// its \u or \U escape, a literal string that holds one becomes the equivalent basic string,
// in a comment it becomes '?'. Outside strings and comments TOML allows none (bare keys are
// ASCII): that, and invalid UTF-8, is refused with its line. Line breaks stay where they are,
// so toml++'s errors name the right lines.
#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

namespace herald::config {

struct TomlTextError {
    std::size_t line = 0;
    std::string what;
};

std::variant<std::string, TomlTextError> to_ascii_toml(std::string_view text);

}  // namespace herald::config
