#include "log/log_views.hpp"

#include <algorithm>
#include <functional>

#include "base/timestamp.hpp"
#include "config/value_formats.hpp"
#include "log/log_reader.hpp"
#include "log/log_time.hpp"

namespace herald::log {

namespace {

// Feeds every line of `files`, oldest first, to `each`; what could not be read goes to
// `errors`.
void scan(const std::vector<std::filesystem::path>& files,
          const std::function<void(std::string_view)>& each, std::vector<std::string>& errors) {
    LogReader reader(files);
    while (auto line = reader.next()) each(*line);
    errors.insert(errors.end(), reader.errors().begin(), reader.errors().end());
}

boost::json::object counts_json(const SummaryCounts& c) {
    return {{"messages", c.messages},
            {"recipients", c.recipients},
            {"delivered", c.delivered},
            {"deferred", c.deferred},
            {"bounced", c.bounced}};
}

boost::json::array rows_json(const std::vector<SummaryRow>& rows, std::string_view key) {
    boost::json::array out;
    for (const auto& row : rows) {
        boost::json::object o{{key, row.name}};
        for (const auto& [k, v] : counts_json(row.counts)) o[k] = v;
        o["distinct_recipients"] = row.distinct_recipients;
        o["distinct_senders"] = row.distinct_senders;
        o["peak_per_hour"] = row.peak_per_hour;
        boost::json::array flags;
        for (const auto& flag : row.flags) flags.emplace_back(flag);
        o["flags"] = std::move(flags);
        out.push_back(std::move(o));
    }
    return out;
}

}  // namespace

std::optional<std::string> since_timestamp(std::string_view text,
                                           std::chrono::system_clock::time_point now) {
    if (auto ago = config::parse_duration(text)) return iso8601_utc(now - *ago);
    if (auto at = parse_iso8601(text)) return iso8601_utc(*at);
    return std::nullopt;
}

bool valid_sender_pattern(std::string_view pattern) {
    if (pattern.starts_with("*@")) pattern.remove_prefix(2);
    return !pattern.empty() && std::none_of(pattern.begin(), pattern.end(), [](char c) {
        return static_cast<unsigned char>(c) <= ' ' || c == 0x7f || c == '*';
    });
}

SummaryScan summarize_log_dir(const std::filesystem::path& dir, const SummaryOptions& options) {
    SummaryScan out;
    const auto files = log_generations(dir / "mainlog");
    out.found = !files.empty();
    Summary summary(options);
    scan(
        files, [&](std::string_view line) { summary.add(line); }, out.errors);
    out.report = summary.report();
    return out;
}

TraceScan trace_log_dir(const std::filesystem::path& dir, const TraceQuery& query) {
    TraceScan out;
    const auto mainlog = log_generations(dir / "mainlog");
    const auto rejectlog = log_generations(dir / "rejectlog");
    out.found = !mainlog.empty() || !rejectlog.empty();
    Trace trace(query);
    scan(
        mainlog, [&](std::string_view line) { trace.find(line); }, out.errors);
    if (trace.messages() > 0) {
        // Errors were reported by the first pass over the same files.
        std::vector<std::string> again;
        scan(
            mainlog, [&](std::string_view line) { trace.collect(line); }, again);
    }
    scan(
        rejectlog, [&](std::string_view line) { trace.collect_reject(line); }, out.errors);
    out.lines = trace.lines();
    return out;
}

boost::json::object summary_json(const SummaryReport& report, const std::string& since) {
    boost::json::object causes;
    for (const auto& [cause, count] : report.causes) causes[cause] = count;
    boost::json::object explanations;
    for (const auto& [cause, text] : report.explanations) explanations[cause] = text;
    boost::json::array compliance;
    for (const auto& row : report.compliance) {
        compliance.push_back({{"domain", row.domain},
                              {"judged", row.judged},
                              {"failing", row.failing},
                              {"latest", row.latest}});
    }
    return {
        {"since", since.empty() ? boost::json::value(nullptr) : boost::json::value(since)},
        {"total", counts_json(report.total)},
        {"senders", rows_json(report.senders, "sender")},
        {"users", rows_json(report.users, "user")},
        {"client_ips", rows_json(report.client_ips, "ip")},
        {"causes", std::move(causes)},
        {"explanations", std::move(explanations)},
        {"compliance", std::move(compliance)},
        {"damaged_lines", report.damaged_lines},
    };
}

boost::json::array trace_json(const std::vector<TracedLine>& lines) {
    boost::json::array out;
    for (const auto& l : lines) out.push_back({{"log", l.log}, {"ts", l.ts}, {"line", l.line}});
    return out;
}

}  // namespace herald::log
