#include "tlsrpt/tls_reporter.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <iterator>
#include <optional>
#include <utility>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "base/state_file.hpp"
#include "base/timestamp.hpp"
#include "delivery/transports/http_url.hpp"
#include "dns/host_addresses.hpp"

namespace herald::tlsrpt {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

// Also how late after midnight UTC a day is closed: the sessions of that minute count for
// the day before.
constexpr auto kSaveEvery = 60s;
constexpr std::string_view kCurrentFile = "current.json";

TlsReporter::Clock::time_point next_midnight(TlsReporter::Clock::time_point t) {
    return std::chrono::floor<std::chrono::days>(t) + std::chrono::days(1);
}

std::string destination_text(const ReportDestination& destination) {
    return destination.kind == ReportDestination::Kind::mail ? "mailto:" + destination.where
                                                             : destination.where;
}

// A period's counts as the file keeps them.
std::string period_text(const ReportPeriod& period, const TlsCounts& counts) {
    return json::serialize(json::object{{"start", unix_seconds(period.start)},
                                        {"end", unix_seconds(period.end)},
                                        {"counts", counts.to_json()}});
}

struct PeriodFile {
    ReportPeriod period;
    TlsCounts counts;
};

// The files of `dir` named <kind>-*.json ("period", "retry"), in the order of their names.
std::vector<std::filesystem::path> files_of(const std::filesystem::path& dir,
                                            std::string_view kind) {
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.size() > kind.size() && name.starts_with(kind) && name[kind.size()] == '-' &&
            name.ends_with(".json")) {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

// A period's or a waiting POST's file while one sending works on it. The minute's timer and
// `herald tlsrpt send` both send, each waiting on DNS and HTTP part-way: one that finds a file
// held by the other passes it by, so that no report goes out twice.
class HeldFile {
  public:
    static std::optional<HeldFile> take(std::set<std::filesystem::path>& held,
                                        const std::filesystem::path& file) {
        if (!held.insert(file).second) return std::nullopt;
        return HeldFile(held, file);
    }
    HeldFile(HeldFile&& other) noexcept
        : held_(std::exchange(other.held_, nullptr)), file_(std::move(other.file_)) {}
    HeldFile& operator=(HeldFile&&) = delete;
    ~HeldFile() {
        if (held_) held_->erase(file_);
    }

  private:
    HeldFile(std::set<std::filesystem::path>& held, std::filesystem::path file)
        : held_(&held), file_(std::move(file)) {}

    std::set<std::filesystem::path>* held_;
    std::filesystem::path file_;
};

Result<PeriodFile> read_period(const std::filesystem::path& path) {
    auto text = read_state_file(path);
    if (!text) return Error{"cannot read " + path.string()};
    boost::system::error_code ec;
    const json::value value = json::parse(*text, ec);
    const json::object* object = ec ? nullptr : value.if_object();
    if (!object || !object->contains("start") || !object->contains("counts")) {
        return Error{path.string() + " is not a TLS-RPT period"};
    }
    auto counts = TlsCounts::from_json(object->at("counts"));
    if (!counts) return Error{path.string() + ": " + counts.error()};
    const auto* start = object->at("start").if_int64();
    const auto* end = object->if_contains("end") ? object->at("end").if_int64() : nullptr;
    if (!start || !end) return Error{path.string() + " is not a TLS-RPT period"};
    return PeriodFile{{from_unix_seconds(*start), from_unix_seconds(*end)}, std::move(*counts)};
}

}  // namespace

TlsReporter::TlsReporter(asio::any_io_executor executor, dns::Resolver& resolver, Settings settings,
                         Submit submit, Log log)
    : resolver_(resolver),
      settings_(std::move(settings)),
      submit_(std::move(submit)),
      log_(std::move(log)),
      https_(settings_.ca_file),
      client_(https_.tls, delivery::HttpTimeouts{.connect = 30s, .request = 60s}, ""),
      timer_(executor),
      start_(Clock::now()) {
    load();
}

void TlsReporter::record(const delivery::TlsSession& session) {
    counts_.add(session);
    changed_ = true;
    ++(session.failure ? figures_.failed_sessions : figures_.successful_sessions);
}

TlsRptFigures TlsReporter::figures() const {
    TlsRptFigures figures = figures_;
    figures.waiting_posts = files_of(settings_.dir, "retry").size();
    return figures;
}

void TlsReporter::count(bool mail, std::string_view result) {
    ++figures_.reports[{mail ? "mail" : "https", std::string(result)}];
}

void TlsReporter::load() {
    auto loaded = read_period(settings_.dir / kCurrentFile);
    if (!loaded) {
        if (std::filesystem::exists(settings_.dir / kCurrentFile)) note(loaded.error());
        return;
    }
    start_ = loaded->period.start;
    counts_ = std::move(loaded->counts);
}

void TlsReporter::save() {
    std::error_code ec;
    std::filesystem::create_directories(settings_.dir, ec);
    const ReportPeriod period{start_, Clock::now()};
    if (auto saved = replace_file(settings_.dir / kCurrentFile, period_text(period, counts_));
        !saved) {
        note("cannot save the counts: " + saved.error());
        return;
    }
    changed_ = false;
}

// The counts so far become a period of their own, on disk before anything is sent.
std::filesystem::path TlsReporter::close_period(Clock::time_point end) {
    const ReportPeriod period{start_, end};
    const auto path = settings_.dir / fmt::format("period-{}-{}.json", unix_seconds(period.start),
                                                  unix_seconds(period.end));
    std::error_code ec;
    std::filesystem::create_directories(settings_.dir, ec);
    if (auto written = replace_file(path, period_text(period, counts_)); !written) {
        note("cannot close the period: " + written.error() + "; its counts are kept");
        return {};
    }
    counts_ = TlsCounts{};
    start_ = end;
    save();
    return path;
}

asio::awaitable<void> TlsReporter::run() {
    co_await send_closed_periods();
    co_await post_again(false);
    while (!stopped_) {
        timer_.expires_after(kSaveEvery);
        boost::system::error_code ec;
        co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (stopped_) break;
        const auto now = Clock::now();
        const auto midnight = next_midnight(start_);
        if (now >= midnight) {
            if (!close_period(midnight).empty()) co_await send_closed_periods();
        } else if (changed_) {
            save();
        }
        co_await post_again(false);
    }
}

void TlsReporter::stop() {
    stopped_ = true;
    timer_.cancel();
    if (changed_) save();
}

asio::awaitable<std::vector<TlsReporter::Outcome>> TlsReporter::send_closed_periods() {
    std::vector<Outcome> outcomes;
    for (const auto& file : files_of(settings_.dir, "period")) {
        const auto held = HeldFile::take(held_, file);
        if (!held) continue;
        auto sent = co_await send_period(file);
        std::move(sent.begin(), sent.end(), std::back_inserter(outcomes));
    }
    co_return outcomes;
}

// Every domain with a TLSRPT record gets its report; then the period is done with, whatever
// came of each (a mail that fails is the queue's to retry; a POST that fails is kept to be
// tried again, report_retry.hpp).
asio::awaitable<std::vector<TlsReporter::Outcome>> TlsReporter::send_period(
    const std::filesystem::path& file) {
    std::vector<Outcome> outcomes;
    auto period = read_period(file);
    if (!period) {
        note(period.error() + "; set aside as " + file.string() + ".bad");
        std::error_code ec;
        std::filesystem::rename(file, file.string() + ".bad", ec);
        co_return outcomes;
    }
    for (const auto& [domain, policies] : period->counts.domains()) {
        auto to = co_await destinations(domain);
        if (!to) {
            outcomes.push_back({domain, {}, to.error()});
            continue;
        }
        const Report report = make_report(settings_.us, period->period, domain, policies);
        outcomes.push_back(co_await send_report(period->period, report, *to));
    }
    std::error_code ec;
    std::filesystem::remove(file, ec);
    co_return outcomes;
}

asio::awaitable<Result<std::vector<ReportDestination>>> TlsReporter::destinations(
    const std::string& domain) {
    const std::string name = "_smtp._tls." + domain;
    auto txt = co_await resolver_.txt(name);
    if (txt.status == dns::Status::nxdomain || txt.status == dns::Status::nodata) {
        co_return Error{"no TLSRPT record"};
    }
    if (!txt.ok()) co_return Error{"cannot look up " + name + ": " + txt.why};
    auto found = find_report_destinations(txt.records);
    if (!found) co_return Error{name + ": " + found.error()};
    co_return std::move(*found);
}

asio::awaitable<TlsReporter::Outcome> TlsReporter::send_report(
    const ReportPeriod& period, const Report& report, const std::vector<ReportDestination>& to) {
    Outcome outcome{.domain = report.domain};
    for (std::size_t i = 0; i < to.size(); ++i) {
        const ReportDestination& destination = to[i];
        Result<std::string> sent = Error{""};
        if (destination.kind == ReportDestination::Kind::mail) {
            sent = co_await submit_(
                settings_.us.from, destination.where,
                report_mail(settings_.us, period, report, destination.where, Clock::now()));
            if (sent) *sent = "queued as " + *sent;
        } else {
            sent = co_await post(destination.where, report);
            if (!sent) {
                auto again = keep_for_retry(destination.where, report, i);
                sent = Error{sent.error() + (again ? "; tried again from " + report_time(*again)
                                                   : "; not tried again: " + again.error())};
            }
        }
        count(destination.kind == ReportDestination::Kind::mail, sent ? "sent" : "failed");
        tell(outcome, report, destination_text(destination), sent);
    }
    co_return outcome;
}

void TlsReporter::tell(Outcome& outcome, const Report& report, const std::string& where,
                       const Result<std::string>& sent) const {
    if (sent) {
        outcome.sent.push_back(where + " (" + *sent + ")");
        note("report " + report.id + " for " + report.domain + " sent to " + where + " (" + *sent +
             ")");
    } else {
        outcome.problem += (outcome.problem.empty() ? "" : "; ") + where + ": " + sent.error();
        note("report " + report.id + " for " + report.domain + " not sent to " + where + ": " +
             sent.error());
    }
}

// RFC 8460 5.2: the gzip'd report as the body, application/tlsrpt+gzip; any 2xx takes it.
asio::awaitable<Result<std::string>> TlsReporter::post(const std::string& url,
                                                       const Report& report) {
    if (!https_.error.empty()) co_return Error{https_.error};
    auto parsed = delivery::HttpUrl::parse(url);
    if (!parsed) co_return Error{parsed.error()};
    const auto request =
        delivery::HttpRequest::post(*parsed, "application/tlsrpt+gzip", gzip(report.json));
    auto ips = co_await dns::host_addresses(resolver_, parsed->host);
    if (!ips) co_return Error{ips.error()};
    auto response = co_await client_.send_to(*ips, *parsed, request);
    if (!response) co_return Error{response.error()};
    const std::string status = std::to_string(response->status) + " " + response->reason;
    if (response->status < 200 || response->status > 299) co_return Error{"answered " + status};
    co_return status;
}

Result<TlsReporter::Clock::time_point> TlsReporter::keep_for_retry(const std::string& url,
                                                                   const Report& report,
                                                                   std::size_t destination) {
    const auto now = Clock::now();
    const auto next = next_post_attempt(now, 1, now);
    if (!next) return Error{"no time left"};
    std::string name = "retry-" + report.id + "-" + std::to_string(destination) + ".json";
    // The id holds the domain and the submitter: nothing else than these goes in a file name.
    std::replace_if(
        name.begin(), name.end(),
        [](char c) { return !std::isalnum(static_cast<unsigned char>(c)) && !strchr("._@-", c); },
        '_');
    const PendingPost pending{
        .url = url, .report = report, .first = now, .attempts = 1, .next = *next};
    if (auto written = replace_file(settings_.dir / name, pending.to_json()); !written) {
        return Error{written.error()};
    }
    return *next;
}

asio::awaitable<std::vector<TlsReporter::Outcome>> TlsReporter::post_again(bool all) {
    std::vector<Outcome> outcomes;
    std::error_code ec;
    for (const auto& file : files_of(settings_.dir, "retry")) {
        const auto held = HeldFile::take(held_, file);
        if (!held) continue;
        auto text = read_state_file(file);
        auto pending = text ? PendingPost::from_json(*text) : Error{"cannot be read"};
        if (!pending) {
            note(file.string() + ": " + pending.error() + "; set aside as " + file.string() +
                 ".bad");
            std::filesystem::rename(file, file.string() + ".bad", ec);
            continue;
        }
        const auto now = Clock::now();
        if (!all && pending->next > now) continue;
        const Report& report = pending->report;
        Outcome outcome{.domain = report.domain};
        auto sent = co_await post(pending->url, report);
        const std::string attempt = "attempt " + std::to_string(pending->attempts + 1);
        if (sent) {
            count(false, "sent");
            std::filesystem::remove(file, ec);
            sent = *sent + ", " + attempt;
        } else if (auto next = next_post_attempt(pending->first, ++pending->attempts, now)) {
            count(false, "failed");
            pending->next = *next;
            static_cast<void>(replace_file(file, pending->to_json()));
            sent =
                Error{sent.error() + " (" + attempt + "); tried again from " + report_time(*next)};
        } else {
            count(false, "given_up");
            std::filesystem::remove(file, ec);
            sent = Error{sent.error() + " (" + attempt + "); given up, a day after the first"};
        }
        tell(outcome, report, pending->url, sent);
        outcomes.push_back(std::move(outcome));
    }
    co_return outcomes;
}

asio::awaitable<std::string> TlsReporter::show() {
    const ReportPeriod period{start_, Clock::now()};
    json::array reports;
    for (const auto& [domain, policies] : counts_.domains()) {
        json::object entry{{"domain", domain}};
        auto to = co_await destinations(domain);
        if (to) {
            json::array where;
            for (const auto& destination : *to) where.emplace_back(destination_text(destination));
            entry["to"] = std::move(where);
        } else {
            entry["not_sent"] = to.error();
        }
        entry["report"] = json::parse(make_report(settings_.us, period, domain, policies).json);
        reports.push_back(std::move(entry));
    }
    co_return json::serialize(json::object{{"start", report_time(period.start)},
                                           {"end", report_time(period.end)},
                                           {"dropped", counts_.dropped()},
                                           {"reports", std::move(reports)}});
}

asio::awaitable<Result<std::string>> TlsReporter::send_now() {
    if (close_period(Clock::now()).empty()) co_return Error{"cannot close the period"};
    json::array lines;
    // What waited first: a POST of this period that fails now waits for its time.
    auto outcomes = co_await post_again(true);
    auto sent = co_await send_closed_periods();
    std::move(sent.begin(), sent.end(), std::back_inserter(outcomes));
    for (const auto& outcome : outcomes) {
        json::object line{{"domain", outcome.domain}, {"sent", json::array{}}};
        for (const auto& where : outcome.sent) line["sent"].as_array().emplace_back(where);
        if (!outcome.problem.empty()) line["problem"] = outcome.problem;
        lines.push_back(std::move(line));
    }
    co_return json::serialize(lines);
}

void TlsReporter::note(const std::string& line) const {
    if (log_) log_("TLS-RPT: " + line);
}

}  // namespace herald::tlsrpt
