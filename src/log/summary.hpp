#pragma once
// The relay summary behind `herald summary`: mainlog lines in, counts out, per envelope
// sender, per authenticated user and per client IP, with flags that make a compromised
// account or a spamming client stand out. Pure: the caller reads the files (LogReader).
//
// A message counts when its arrival ("<=") is at or after `since` and its sender matches;
// its later "=>", "==" and "**" lines count for the same sender, user and IP, until its
// "Completed" line. Lines about messages that arrived earlier are left out, so a period's
// figures are about the mail that came in during it.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "log/distinct_counter.hpp"

namespace herald::log {

// When a row gets a flag. Exceeding one is not proof of abuse, only worth a look.
struct SummaryThresholds {
    std::uint64_t burst_per_hour = 100;   // "burst": messages within one clock hour (UTC)
    std::uint64_t many_recipients = 100;  // "many-recipients": distinct recipient addresses
    std::uint64_t many_senders = 5;       // "many-senders": distinct envelope senders
    // "high-failure-rate": deferrals and bounces over all delivery attempts, once there
    // are at least failure_min_attempts of them.
    double failure_rate = 0.25;
    std::uint64_t failure_min_attempts = 10;
};

struct SummaryOptions {
    // A log timestamp (2026-11-22T20:55:49.123Z); messages that arrived earlier are left
    // out. Empty: everything.
    std::string since;
    // An address or "*@domain" (also "@domain"), compared without regard to case; "<>" is
    // the null sender. Empty: every sender.
    std::string sender;
    SummaryThresholds thresholds;
};

struct SummaryCounts {
    std::uint64_t messages = 0;
    std::uint64_t recipients = 0;  // accepted at arrival (R=)
    std::uint64_t delivered = 0;   // "=>" lines
    std::uint64_t deferred = 0;    // "==" lines: each deferral of a recipient counts
    std::uint64_t bounced = 0;     // "**" lines
};

struct SummaryRow {
    std::string name;  // the sender ("<>" for the null sender), user or client IP
    SummaryCounts counts;
    std::uint64_t distinct_recipients = 0;  // addresses seen in its delivery lines
    std::uint64_t distinct_senders = 0;
    std::uint64_t peak_per_hour = 0;  // most messages in one clock hour
    std::vector<std::string> flags;   // burst, many-recipients, many-senders, high-failure-rate
};

// Bulk mail of one From: domain as the compliance gate judged it (docs/compliance.md).
struct ComplianceRow {
    std::string domain;
    std::uint64_t judged = 0;   // bulk messages judged
    std::uint64_t failing = 0;  // of them, those that broke a rule
    std::string latest;         // the latest verdict: "PASS authentication; FAIL ..."
};

struct SummaryReport {
    SummaryCounts total;
    // Most messages first, then most recipients, then by name.
    std::vector<SummaryRow> senders;
    std::vector<SummaryRow> users;
    std::vector<SummaryRow> client_ips;
    // Deferrals and bounces per cause (their lines' cause=: docs/events.md, "Why mail is
    // deferred"), most first, then by name.
    std::vector<std::pair<std::string, std::uint64_t>> causes;
    // The deferral explainer's latest word per cause (its "explain" lines), by cause. Lines
    // about no one message's arrival: only `since` selects them.
    std::vector<std::pair<std::string, std::string>> explanations;
    // The compliance gate's verdicts ("compliance" lines) per From: domain, by domain; only
    // `since` selects them.
    std::vector<ComplianceRow> compliance;
    std::uint64_t damaged_lines = 0;  // lines that are not mainlog lines
};

class Summary {
  public:
    explicit Summary(SummaryOptions options);

    void add(std::string_view mainlog_line);
    SummaryReport report() const;

  private:
    struct Tally {
        SummaryCounts counts;
        DistinctCounter recipients;
        DistinctCounter senders;
        std::int64_t hour = -1;  // the clock hour being counted, as YYYYMMDDHH
        std::uint64_t in_hour = 0;
        std::uint64_t peak_per_hour = 0;
    };
    // Maps keyed by std::string that find by std::string_view without allocating.
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const {
            return std::hash<std::string_view>{}(s);
        }
    };
    template <typename T>
    using Map = std::unordered_map<std::string, T, Hash, std::equal_to<>>;
    // What an open message's delivery lines count for. Map nodes do not move: the
    // pointers stay valid as the maps grow.
    struct OpenMessage {
        Tally* sender;
        Tally* user;  // nullptr when not authenticated
        Tally* ip;    // nullptr when not received over the network
    };

    struct Arrival;
    void add_arrival(const Arrival& arrival);
    void add_outcome(std::string_view id, std::string_view mark, std::string_view recipient,
                     std::string_view rest);
    // A line of the message's other events: an explanation or a compliance verdict.
    void add_event(std::string_view text);
    bool sender_selected(std::string_view raw_sender) const;
    static Tally& tally_of(Map<Tally>& map, std::string_view key);
    std::vector<SummaryRow> rows_of(const Map<Tally>& map) const;

    SummaryOptions options_;
    std::string sender_domain_;  // "@domain" for a "*@domain" filter
    Map<Tally> senders_;
    Map<Tally> users_;
    Map<Tally> ips_;
    Map<std::uint64_t> causes_;
    std::map<std::string, std::string> explanations_;
    std::map<std::string, ComplianceRow> compliance_;
    Map<OpenMessage> open_;
    SummaryCounts total_;
    std::uint64_t damaged_lines_ = 0;
};

}  // namespace herald::log
