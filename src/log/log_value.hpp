#pragma once
// How a value appears in a log line. Clients choose HELO names, addresses, subjects and
// replies, so a value must never be able to end a line, start a new one or pass for another
// field: anything beyond plain printable ASCII without spaces is written as a quoted string
// with C-like escapes (\" \\ \r \n \t \xHH). Bytes that are not valid UTF-8, and code points
// that terminals treat as line breaks or that reorder text (C1 controls, U+2028/2029,
// bidirectional overrides), are escaped too. Values longer than kMaxLogValue bytes are cut.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace herald::log {

inline constexpr std::size_t kMaxLogValue = 2048;

// As is when plain (non-empty printable ASCII without space, '"' or '\'), else quoted.
std::string format_value(std::string_view value);

// Always quoted: for reasons, replies and subjects, which usually hold spaces anyway.
std::string format_quoted(std::string_view value);

// A sender or recipient: "<>" for the null sender, otherwise as format_value().
std::string format_address(std::string_view address);

// Free text that ends a line (an event, a panic): as is when it is plain text that cannot
// be mistaken for the start of a mainlog record, else quoted.
std::string format_text(std::string_view text);

// One of the marks that begin a mainlog record: "<=", "=>", "==", "**".
bool is_record_mark(std::string_view token);

// The inverse of the above for one token; nullopt for a malformed quoted string.
std::optional<std::string> parse_value(std::string_view token);

}  // namespace herald::log
