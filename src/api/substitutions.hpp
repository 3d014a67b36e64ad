#pragma once
// Per-recipient personalisation of a batch send: the subject, text and html of a request may
// name values that differ for each recipient ("substitutions" in message_request.hpp).
//
// The syntax, all of it:
//   - {{name}} is a placeholder, and so is {{ name }}: spaces may stand inside the braces;
//   - a name is 1 to 64 of the characters A-Z a-z 0-9 _ . - (case matters);
//   - anything else is literal text and stays as written: a lone "{{", "{{ }}",
//     "{{bad name!}}", a name longer than 64 characters. There is no escape and no other
//     construct (no conditionals, loops, filters or defaults): this is not a template engine.
//   - A value is inserted as given, and never read again for placeholders: a value holding
//     "{{x}}" puts the text "{{x}}" in the message.
// Where braces pile up, a placeholder is the first "{{" from which one can be read:
// "{{{a}}}" is "{" + the value of a + "}".
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace herald::api {

inline constexpr std::size_t kMaxPlaceholderName = 64;

// The distinct names of the placeholders in `text`, in the order of their first use.
std::vector<std::string> placeholders_in(std::string_view text);

// `text` with every placeholder replaced by its value; an error naming the first placeholder
// that has no value.
Result<std::string> substitute(std::string_view text,
                               const std::map<std::string, std::string>& values);

}  // namespace herald::api
