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

}  // namespace herald::log
