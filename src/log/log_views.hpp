#pragma once
// The relay summary and the message trace over a log directory (mainlog and rejectlog with
// their rotated and gzip'd generations): what `herald summary` and `herald trace` print and
// the admin API serves, computed once for both.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "log/summary.hpp"
#include "log/trace.hpp"

namespace herald::log {

// "30m", "1h", "2d" back from `now`, or an ISO 8601 time, as a log timestamp; nullopt when it
// is neither.
std::optional<std::string> since_timestamp(std::string_view text,
                                           std::chrono::system_clock::time_point now);
// An address, "*@domain", "@domain" or "<>": nothing with spaces, controls or another '*'.
bool valid_sender_pattern(std::string_view pattern);

struct SummaryScan {
    SummaryReport report;
    bool found = false;               // false: no mainlog in the directory
    std::vector<std::string> errors;  // files that could not be read (the rest still counts)
};
SummaryScan summarize_log_dir(const std::filesystem::path& dir, const SummaryOptions& options);

struct TraceScan {
    std::vector<TracedLine> lines;
    bool found = false;  // false: neither a mainlog nor a rejectlog in the directory
    std::vector<std::string> errors;
};
TraceScan trace_log_dir(const std::filesystem::path& dir, const TraceQuery& query);

// `herald summary --json`; `since` is the timestamp applied, "" for none.
boost::json::object summary_json(const SummaryReport& report, const std::string& since);
// `herald trace --json`: [{log, ts, line}, ...].
boost::json::array trace_json(const std::vector<TracedLine>& lines);

}  // namespace herald::log
