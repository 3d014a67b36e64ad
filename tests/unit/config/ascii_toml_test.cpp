#include "config/ascii_toml.hpp"

#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config/toml.hpp"

namespace herald::config {
namespace {

std::string ascii(std::string_view text) {
    auto made = to_ascii_toml(text);
    if (const auto* error = std::get_if<TomlTextError>(&made)) {
        ADD_FAILURE() << error->line << ": " << error->what;
        return "";
    }
    return std::get<std::string>(made);
}

TomlTextError error_of(std::string_view text) {
    auto made = to_ascii_toml(text);
    EXPECT_TRUE(std::holds_alternative<TomlTextError>(made)) << std::get<std::string>(made);
    return std::holds_alternative<TomlTextError>(made) ? std::get<TomlTextError>(made)
                                                       : TomlTextError{};
}

TEST(AsciiToml, LeavesAsciiAlone) {
    const std::string text = "a = \"x\" # note\nb = 'c:\\dir'\n[t]\nc = '''q''''\n";
    EXPECT_EQ(ascii(text), text);
}

TEST(AsciiToml, KeepsTheValuesOfStringsWithNonAscii) {
    const std::string text =
        "basic = \"Zoë \\\"quoted\\\" 😀\"\n"
        "literal = 'C:\\Zürich \"x\"'\n"
        "multi = \"\"\"\nçà\\\n   é\"\"\"\n"
        "multi_literal = '''ü\\n'''' # ignored: ß\n";
    const std::string made = ascii(text);
    EXPECT_TRUE(std::all_of(made.begin(), made.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x80;
    })) << made;
    // Line breaks stay put.
    EXPECT_EQ(std::count(made.begin(), made.end(), '\n'),
              std::count(text.begin(), text.end(), '\n'));
    const toml::table parsed = toml::parse(made);
    EXPECT_EQ(parsed["basic"].value_or(std::string()), "Zoë \"quoted\" 😀");
    EXPECT_EQ(parsed["literal"].value_or(std::string()), "C:\\Zürich \"x\"");
    EXPECT_EQ(parsed["multi"].value_or(std::string()), "çàé");
    EXPECT_EQ(parsed["multi_literal"].value_or(std::string()), "ü\\n'");
}

TEST(AsciiToml, DropsAByteOrderMark) {
    EXPECT_EQ(ascii("\xEF\xBB\xBFkey = 1\n"), "key = 1\n");
}

TEST(AsciiToml, RefusesNonAsciiWhereTomlWantsSyntax) {
    auto error = error_of("[server]\nhostname = \"x\"\nkey = 1\xC2\xA1\n");
    EXPECT_EQ(error.line, 3u);
    EXPECT_EQ(error.what, "a non-ASCII character outside a string or comment");
    EXPECT_EQ(error_of("a = \"x\" \xC3\xA9\n").line, 1u);
    EXPECT_EQ(error_of("a = \"\"\"x\\\xC3\xA9\"\"\"\n").what,
              "a non-ASCII character after a backslash");
    EXPECT_EQ(error_of("# \xFF\xFE\n").what, "invalid UTF-8");
    EXPECT_EQ(error_of("a = \"\xC3\"\n").what, "invalid UTF-8");
}

TEST(AsciiToml, TheLoaderReportsItWithTheLine) {
    const auto loaded = load_string("[server]\nhostname = mail\xC2\xA0host\n", "t.toml");
    ASSERT_EQ(loaded.errors.size(), 1u);
    EXPECT_EQ(loaded.errors.front(),
              "t.toml:2: syntax error: a non-ASCII character outside a string or comment");
}

}  // namespace
}  // namespace herald::config
