#include "api/substitutions.hpp"

#include <gtest/gtest.h>

namespace herald::api {
namespace {

std::string substituted(std::string_view text, const std::map<std::string, std::string>& values) {
    auto result = substitute(text, values);
    EXPECT_TRUE(result.ok()) << result.error();
    return result.ok() ? *result : "";
}

TEST(Substitutions, ReplacesEachPlaceholderWithItsValue) {
    EXPECT_EQ(substituted("Hello {{name}}, your code is {{code}}. Bye {{name}}!",
                          {{"name", "Ann"}, {"code", "42"}}),
              "Hello Ann, your code is 42. Bye Ann!");
}

TEST(Substitutions, AllowsSpacesInsideTheBraces) {
    EXPECT_EQ(substituted("{{ name }}|{{name  }}|{{   name}}", {{"name", "Ann"}}), "Ann|Ann|Ann");
}

TEST(Substitutions, ANameIsLettersDigitsUnderscoreDotAndHyphen) {
    EXPECT_EQ(substituted("{{user.first_name-2}}", {{"user.first_name-2", "Ann"}}), "Ann");
}

TEST(Substitutions, NamesAreCaseSensitive) {
    EXPECT_EQ(substituted("{{Name}} {{name}}", {{"Name", "A"}, {"name", "b"}}), "A b");
}

TEST(Substitutions, LeavesWhatIsNotAPlaceholderAsWritten) {
    for (std::string_view text : {"{{", "}}", "a {{ b", "{{}}", "{{ }}", "{{bad name!}}", "{{name}",
                                  "{name}}", "{ {name} }", "{{na\tme}}", "{{\tname}}",
                                  "{{n\xc3\xa4me}}", "{{name", "{{name }", "{{{{"}) {
        EXPECT_EQ(substituted(text, {{"name", "X"}}), text) << text;
        EXPECT_TRUE(placeholders_in(text).empty()) << text;
    }
}

TEST(Substitutions, ANameIsAtMost64Characters) {
    const std::string longest(64, 'a');
    const std::string too_long(65, 'a');
    EXPECT_EQ(substituted("{{" + longest + "}}", {{longest, "X"}}), "X");
    EXPECT_EQ(substituted("{{" + too_long + "}}", {{too_long, "X"}}), "{{" + too_long + "}}");
}

TEST(Substitutions, BracesAroundAPlaceholderStayLiteral) {
    EXPECT_EQ(substituted("{{{name}}}", {{"name", "Ann"}}), "{Ann}");
    EXPECT_EQ(substituted("{{ {{name}}", {{"name", "Ann"}}), "{{ Ann");
}

TEST(Substitutions, InsertsValuesVerbatimWithoutExpandingThemAgain) {
    EXPECT_EQ(substituted("{{a}} {{b}}", {{"a", "{{b}}"}, {"b", "B\r\n\xc3\xa9{{"}}),
              "{{b}} B\r\n\xc3\xa9{{");
}

TEST(Substitutions, AValueMayBeEmpty) {
    EXPECT_EQ(substituted("[{{name}}]", {{"name", ""}}), "[]");
}

TEST(Substitutions, TextWithoutPlaceholdersIsUnchanged) {
    EXPECT_EQ(substituted("", {}), "");
    EXPECT_EQ(substituted("Gr\xc3\xbc\xc3\x9f"
                          "e {not} {{ one }",
                          {}),
              "Gr\xc3\xbc\xc3\x9f"
              "e {not} {{ one }");
}

TEST(Substitutions, AnUnknownPlaceholderIsAnErrorNamingIt) {
    auto result = substitute("Hello {{name}}, {{ missing.one }} and {{other}}", {{"name", "Ann"}});
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().find("missing.one"), std::string::npos) << result.error();
}

TEST(Substitutions, ListsTheDistinctNamesInOrderOfFirstUse) {
    EXPECT_EQ(placeholders_in("{{b}} {{ a }} {{b}} {{c}} {{a}}"),
              (std::vector<std::string>{"b", "a", "c"}));
    EXPECT_TRUE(placeholders_in("").empty());
}

}  // namespace
}  // namespace herald::api
