#include "log/summary.hpp"

#include <algorithm>
#include <charconv>

#include "base/ascii_case.hpp"
#include "log/log_line.hpp"
#include "log/log_value.hpp"

namespace herald::log {
namespace {

// The value a raw token stands for: "<>" stays "<>", a quoted token is unescaped.
std::string shown(std::string_view raw) {
    if (raw == "<>") return std::string(raw);
    return parse_value(raw).value_or(std::string(raw));
}

// YYYYMMDDHH from "YYYY-MM-DDTHH...", or -1 for a malformed timestamp.
std::int64_t hour_of(std::string_view ts) {
    static constexpr std::size_t kDigits[] = {0, 1, 2, 3, 5, 6, 8, 9, 11, 12};
    if (ts.size() < 13) return -1;
    std::int64_t hour = 0;
    for (auto i : kDigits) {
        if (ts[i] < '0' || ts[i] > '9') return -1;
        hour = hour * 10 + (ts[i] - '0');
    }
    return hour;
}

std::uint64_t hash_of(std::string_view value) {
    return std::hash<std::string_view>{}(value);
}

void count_outcome(SummaryCounts& counts, std::string_view mark) {
    if (mark == "=>") {
        ++counts.delivered;
    } else if (mark == "==") {
        ++counts.deferred;
    } else {
        ++counts.bounced;
    }
}

std::vector<std::string> flags_of(const SummaryRow& row, const SummaryThresholds& limits) {
    std::vector<std::string> flags;
    if (row.peak_per_hour >= limits.burst_per_hour) flags.emplace_back("burst");
    if (row.distinct_recipients >= limits.many_recipients) flags.emplace_back("many-recipients");
    if (row.distinct_senders >= limits.many_senders) flags.emplace_back("many-senders");
    const auto& c = row.counts;
    auto attempts = c.delivered + c.deferred + c.bounced;
    if (attempts >= limits.failure_min_attempts &&
        static_cast<double>(c.deferred + c.bounced) >=
            limits.failure_rate * static_cast<double>(attempts)) {
        flags.emplace_back("high-failure-rate");
    }
    return flags;
}

}  // namespace

struct Summary::Arrival {
    std::string_view ts;
    std::string_view id;
    std::string_view sender;  // raw tokens
    std::string_view user;
    std::string_view ip;
    std::uint64_t recipients = 0;
};

Summary::Summary(SummaryOptions options) : options_(std::move(options)) {
    auto& pattern = options_.sender;
    if (pattern.size() > 2 && pattern.front() == '<' && pattern.back() == '>') {
        pattern = pattern.substr(1, pattern.size() - 2);
    }
    pattern = ascii_lowercase(pattern);
    if (pattern.starts_with("*@")) pattern.erase(0, 1);
    if (pattern.starts_with("@")) sender_domain_ = pattern;
}

void Summary::add(std::string_view line) {
    auto view = split_main_log_line(line);
    if (!view) {
        ++damaged_lines_;
        return;
    }
    // Log timestamps share one fixed format, so they compare as strings.
    if (view->ts < options_.since) return;
    if (view->mark == "<=") {
        Arrival arrival{view->ts, view->id, view->address, {}, {}, 0};
        TokenCursor cursor(view->rest);
        while (auto token = cursor.next()) {
            if (auto ip = raw_field(*token, "ip")) {
                arrival.ip = *ip;
            } else if (auto user = raw_field(*token, "A")) {
                arrival.user = *user;
            } else if (auto count = raw_field(*token, "R")) {
                std::from_chars(count->data(), count->data() + count->size(), arrival.recipients);
                break;  // the subject (T=) and nothing else comes after R=
            }
        }
        add_arrival(arrival);
    } else if (!view->mark.empty()) {
        add_outcome(view->id, view->mark, view->address, view->rest);
    } else if (view->rest == "Completed") {
        if (auto it = open_.find(view->id); it != open_.end()) open_.erase(it);
    } else {
        add_event(view->rest);
    }
}

bool Summary::sender_selected(std::string_view raw_sender) const {
    const auto& pattern = options_.sender;
    if (pattern.empty()) return true;
    if (raw_sender == "<>") return pattern == "<>";
    auto sender = raw_sender.front() == '"' ? shown(raw_sender) : std::string(raw_sender);
    if (!sender_domain_.empty()) {
        return sender.size() > sender_domain_.size() &&
               equals_ignoring_case(
                   std::string_view(sender).substr(sender.size() - sender_domain_.size()),
                   sender_domain_);
    }
    return equals_ignoring_case(sender, pattern);
}

Summary::Tally& Summary::tally_of(Map<Tally>& map, std::string_view key) {
    auto it = map.find(key);
    if (it == map.end()) it = map.emplace(std::string(key), Tally{}).first;
    return it->second;
}

void Summary::add_arrival(const Arrival& arrival) {
    if (!sender_selected(arrival.sender)) return;
    OpenMessage message{&tally_of(senders_, arrival.sender),
                        arrival.user.empty() ? nullptr : &tally_of(users_, arrival.user),
                        arrival.ip.empty() ? nullptr : &tally_of(ips_, arrival.ip)};
    auto hour = hour_of(arrival.ts);
    auto sender_hash = hash_of(arrival.sender);
    for (Tally* tally : {message.sender, message.user, message.ip}) {
        if (!tally) continue;
        ++tally->counts.messages;
        tally->counts.recipients += arrival.recipients;
        tally->senders.insert(sender_hash);
        if (hour != tally->hour) tally->hour = hour, tally->in_hour = 0;
        tally->peak_per_hour = std::max(tally->peak_per_hour, ++tally->in_hour);
    }
    ++total_.messages;
    total_.recipients += arrival.recipients;
    auto it = open_.find(arrival.id);
    if (it == open_.end()) {
        open_.emplace(std::string(arrival.id), message);
    } else {
        it->second = message;
    }
}

void Summary::add_outcome(std::string_view id, std::string_view mark, std::string_view recipient,
                          std::string_view rest) {
    auto it = open_.find(id);
    if (it == open_.end()) return;  // arrived before `since`, or from an unselected sender
    if (mark != "=>") {
        // cause= is the last field of a "==" or "**" line.
        const std::size_t at = rest.rfind(" cause=");
        if (at != std::string_view::npos && rest.find(' ', at + 1) == std::string_view::npos) {
            ++causes_[std::string(rest.substr(at + 7))];
        }
    }
    auto recipient_hash = hash_of(recipient);
    const auto& message = it->second;
    for (Tally* tally : {message.sender, message.user, message.ip}) {
        if (!tally) continue;
        count_outcome(tally->counts, mark);
        tally->recipients.insert(recipient_hash);
    }
    count_outcome(total_, mark);
}

std::vector<SummaryRow> Summary::rows_of(const Map<Tally>& map) const {
    std::vector<SummaryRow> rows;
    rows.reserve(map.size());
    for (const auto& [key, tally] : map) {
        SummaryRow row{shown(key),           tally.counts,        tally.recipients.size(),
                       tally.senders.size(), tally.peak_per_hour, {}};
        row.flags = flags_of(row, options_.thresholds);
        rows.push_back(std::move(row));
    }
    std::sort(rows.begin(), rows.end(), [](const SummaryRow& a, const SummaryRow& b) {
        if (a.counts.messages != b.counts.messages) return a.counts.messages > b.counts.messages;
        if (a.counts.recipients != b.counts.recipients) {
            return a.counts.recipients > b.counts.recipients;
        }
        return a.name < b.name;
    });
    return rows;
}

void Summary::add_event(std::string_view text) {
    // "explain <rcpt> TEXT" and "compliance <domain>: TEXT", TEXT quoted when it must be.
    TokenCursor cursor(text);
    const auto kind = cursor.next();
    const auto subject = cursor.next();
    if (!kind || !subject || (*kind != "explain" && *kind != "compliance")) return;
    const std::string_view raw = cursor.rest();
    const std::string detail =
        raw.starts_with('"') ? parse_value(raw).value_or(std::string(raw)) : std::string(raw);
    if (*kind == "explain") {
        const auto colon = detail.find(':');
        if (colon != std::string::npos) explanations_[detail.substr(0, colon)] = detail;
        return;
    }
    if (!subject->ends_with(':')) return;
    const std::string domain(subject->substr(0, subject->size() - 1));
    ComplianceRow& row = compliance_[domain];
    row.domain = domain;
    ++row.judged;
    if (detail.starts_with("FAIL ") || detail.find("; FAIL ") != std::string::npos) ++row.failing;
    row.latest = detail;
}

SummaryReport Summary::report() const {
    SummaryReport report{.total = total_,
                         .senders = rows_of(senders_),
                         .users = rows_of(users_),
                         .client_ips = rows_of(ips_),
                         .causes = {causes_.begin(), causes_.end()},
                         .explanations = {explanations_.begin(), explanations_.end()},
                         .damaged_lines = damaged_lines_};
    std::sort(report.causes.begin(), report.causes.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    for (const auto& [domain, row] : compliance_) report.compliance.push_back(row);
    return report;
}

}  // namespace herald::log
