#pragma once
// SMTP TLS Reporting (RFC 8460) as Herald sends it: the smtp transports tell each TLS session
// to record(); the sessions of one UTC day are added up (tls_counts.hpp), kept in
// <spool_dir>/tlsrpt/current.json (saved each minute and at stop, so that a restart keeps
// them), and after midnight each policy domain that publishes a `_smtp._tls` record gets its
// report (tls_report.hpp): by mail through Herald's own queue, or by HTTPS POST.
//
// A day is closed by writing its counts to period-<start>-<end>.json before anything is sent,
// and that file is removed once every domain's report has gone: a crash in between sends the
// day again at the next start rather than never. A POST that fails is tried again for a day
// (report_retry.hpp). Runs on the event loop's one thread.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "delivery/tls_session.hpp"
#include "delivery/transports/http_client.hpp"
#include "dns/resolver.hpp"
#include "tlsrpt/report_retry.hpp"
#include "tlsrpt/tls_counts.hpp"
#include "tlsrpt/tls_report.hpp"
#include "tlsrpt/tlsrpt_figures.hpp"
#include "tlsrpt/tlsrpt_record.hpp"

namespace herald::tlsrpt {

class TlsReporter {
  public:
    using Clock = std::chrono::system_clock;
    using Log = std::function<void(const std::string&)>;
    // Queues one report mail from `from` to `to`: its queue id, or why not.
    using Submit = std::function<boost::asio::awaitable<Result<std::string>>(
        const std::string& from, const std::string& to, std::string text)>;

    struct Settings {
        ReportingOrganization us;
        std::filesystem::path dir;      // <spool_dir>/tlsrpt
        std::filesystem::path ca_file;  // trusted beside the system's store for https://
    };

    TlsReporter(boost::asio::any_io_executor executor, dns::Resolver& resolver, Settings settings,
                Submit submit, Log log);

    void record(const delivery::TlsSession& session);

    // For /metrics (tlsrpt_figures.hpp).
    TlsRptFigures figures() const;

    // Saves the counts each minute; closes the day and sends its reports after midnight UTC,
    // and at start whatever a crash left unsent. Until stop().
    boost::asio::awaitable<void> run();
    void stop();

    // `herald tlsrpt show`: the reports of the period so far, each with where it would go,
    // as JSON.
    boost::asio::awaitable<std::string> show();
    // `herald tlsrpt send`: closes the period now and sends its reports, and every POST waiting
    // to be tried again; says what became of each, as JSON.
    boost::asio::awaitable<Result<std::string>> send_now();

  private:
    struct Outcome {
        std::string domain;
        std::vector<std::string> sent;  // "mailto:a@b (queued as ID)", "https://... (200)"
        std::string problem;            // why nothing or not all was sent; "" when all went
    };

    void load();
    void save();
    std::filesystem::path close_period(Clock::time_point end);
    boost::asio::awaitable<std::vector<Outcome>> send_closed_periods();
    boost::asio::awaitable<std::vector<Outcome>> send_period(const std::filesystem::path& file);
    boost::asio::awaitable<Result<std::vector<ReportDestination>>> destinations(
        const std::string& domain);
    boost::asio::awaitable<Outcome> send_report(const ReportPeriod& period, const Report& report,
                                                const std::vector<ReportDestination>& to);
    boost::asio::awaitable<Result<std::string>> post(const std::string& url, const Report& report);
    // A failed POST kept to be tried again; the time it will be, or why not.
    Result<Clock::time_point> keep_for_retry(const std::string& url, const Report& report,
                                             std::size_t destination);
    // The POSTs waiting to be tried again: those due (`all`: every one), tried.
    boost::asio::awaitable<std::vector<Outcome>> post_again(bool all);
    void note(const std::string& line) const;
    // What became of one attempt at sending `report` to `where`: in the outcome and the mainlog.
    void tell(Outcome& outcome, const Report& report, const std::string& where,
              const Result<std::string>& sent) const;
    // One attempt at a report, counted for figures().
    void count(bool mail, std::string_view result);

    dns::Resolver& resolver_;
    Settings settings_;
    Submit submit_;
    Log log_;
    delivery::HttpsContext https_;
    delivery::HttpClient client_;
    boost::asio::steady_timer timer_;
    bool stopped_ = false;

    Clock::time_point start_;  // of the period being counted
    TlsCounts counts_;
    bool changed_ = false;                  // since the last save
    TlsRptFigures figures_;                 // but waiting_posts, counted when asked
    std::set<std::filesystem::path> held_;  // files a sending works on (HeldFile)
};

}  // namespace herald::tlsrpt
