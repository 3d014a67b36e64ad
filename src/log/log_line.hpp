#pragma once
// Reads back what MainLog and RejectLog write, for `herald summary` and `herald trace`.
// Values come back unescaped, exactly as they were logged (unless cut at kMaxLogValue).
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald::log {

struct LogLine {
    std::string ts;       // 2026-11-22T20:55:49.123Z
    std::string id;       // "" for a line about no message
    std::string mark;     // "<=", "=>", "==", "**", or "" for other lines
    std::string address;  // after "<=": the sender ("" for <>); after the others: the recipient
    // key=value fields in order; "[ip]" comes back as key "ip". Rejectlog lines give "command".
    std::vector<std::pair<std::string, std::string>> fields;
    std::string text;  // "Completed", an event, a failure's reason, a rejection's reply

    const std::string* field(std::string_view key) const;
};

// nullopt for a line that is not a mainlog line (or is damaged).
std::optional<LogLine> parse_main_log_line(std::string_view line);
std::optional<LogLine> parse_reject_log_line(std::string_view line);

// Splits a log line at the spaces outside quoted strings, without copying: the tokenizer
// under both parsers, and what scanners of millions of lines use directly.
class TokenCursor {
  public:
    explicit TokenCursor(std::string_view line) : line_(line) {}
    // The next token, still escaped; nullopt at the end of the line, or when a quoted string
    // is not closed (then damaged() is true).
    std::optional<std::string_view> next();
    // What next() has not returned yet, from its first token on.
    std::string_view rest();
    bool damaged() const { return damaged_; }

  private:
    void skip_spaces();

    std::string_view line_;
    std::size_t pos_ = 0;
    bool damaged_ = false;
};

// A mainlog line cut into its fixed parts without copying or unescaping. Tokens are as
// written, so a quoted address is still quoted: equal values give equal tokens, which is
// what aggregation needs; unescape with parse_value() only what is shown.
struct MainLogView {
    std::string_view ts;
    std::string_view id;       // "-" for a line about no message
    std::string_view mark;     // "<=", "=>", "==", "**", or "" for other lines
    std::string_view address;  // raw token: "<>" for the null sender
    std::string_view rest;     // the tokens after the address; for other lines, the text
};

// nullopt when the line lacks the fixed parts. Only the tokens up to the address are
// checked: parse_main_log_line() also validates the rest.
std::optional<MainLogView> split_main_log_line(std::string_view line);

// A token of a line's rest that is a field: "KEY=value" gives value for KEY, "[ip]" gives
// the ip for key "ip". Raw (still escaped); nullopt for another token.
std::optional<std::string_view> raw_field(std::string_view token, std::string_view key);

}  // namespace herald::log
