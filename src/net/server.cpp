#include "net/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <fmt/core.h>

#include <sys/resource.h>

#include <algorithm>
#include <list>
#include <optional>
#include <thread>

#include "accept/acceptance.hpp"
#include "accept/local_submission.hpp"
#include "admin/admin_server.hpp"
#include "admin/admin_token.hpp"
#include "admin/metrics.hpp"
#include "admin/recent_events.hpp"
#include "admin/request_router.hpp"
#include "api/send_endpoint.hpp"
#include "api/suppression_endpoint.hpp"
#include "base/address_parts.hpp"
#include "base/ascii_case.hpp"
#include "base/blocking_pool.hpp"
#include "base/build_info.hpp"
#include "base/event_loop.hpp"
#include "base/state_file.hpp"
#include "compliance/bulk_gate.hpp"
#include "compliance/route_tls.hpp"
#include "compliance/sender_volume.hpp"
#include "compliance/unsubscribe_endpoint.hpp"
#include "compliance/unsubscribe_headers.hpp"
#include "config/reload_guard.hpp"
#include "delivery/live_router.hpp"
#include "delivery/shaping/traffic_shaper.hpp"
#include "delivery/shaping_status.hpp"
#include "dns/unbound_resolver.hpp"
#include "doctor/deferral_explainer.hpp"
#include "events/event_pipeline.hpp"
#include "log/log_rotation.hpp"
#include "log/main_log.hpp"
#include "log/panic_log.hpp"
#include "log/reject_log.hpp"
#include "mailauth/dkim/keyring.hpp"
#include "mailauth/preflight.hpp"
#include "net/connection_limits.hpp"
#include "net/control_server.hpp"
#include "net/sendmail_socket.hpp"
#include "net/service_manager.hpp"
#include "net/serving_files.hpp"
#include "net/smtp_listener.hpp"
#include "net/tls_context.hpp"
#include "policy/auth_throttle.hpp"
#include "policy/policies.hpp"
#include "queue/bouncer.hpp"
#include "queue/intake.hpp"
#include "queue/queue_census.hpp"
#include "queue/queue_control.hpp"
#include "queue/queue_loading.hpp"
#include "queue/scheduler.hpp"
#include "reports/report_intake.hpp"
#include "spool/free_space.hpp"
#include "spool/secret_file.hpp"
#include "spool/spool.hpp"
#include "spool/spool_lock.hpp"
#include "state/auth_failures.hpp"
#include "state/cluster_nodes.hpp"
#include "state/redis_link.hpp"
#include "state/redis_settings.hpp"
#include "state/shared_rate_limits.hpp"
#include "state/shared_send_counts.hpp"
#include "state/shared_shaping.hpp"
#include "state/shared_suppressions.hpp"
#include "suppression/suppressions.hpp"
#include "tlspolicy/mta_sts_source.hpp"
#include "tlsrpt/tls_reporter.hpp"

namespace herald::net {

namespace asio = boost::asio;

namespace {

smtp::SessionMode session_mode(config::ListenerMode mode) {
    switch (mode) {
        case config::ListenerMode::submission:
            return smtp::SessionMode::submission;
        case config::ListenerMode::submissions:
            return smtp::SessionMode::submissions;
        default:
            return smtp::SessionMode::relay;
    }
}

const char* mode_name(config::ListenerMode mode) {
    switch (mode) {
        case config::ListenerMode::submission:
            return "submission";
        case config::ListenerMode::submissions:
            return "submissions, implicit TLS";
        case config::ListenerMode::http:
            return "http, the sending API";
        case config::ListenerMode::unsubscribe:
            return "unsubscribe, one-click links";
        default:
            return "relay";
    }
}

std::string listening_line(const config::Listener& listener) {
    return fmt::format("listening on {} ({}{})", listener.address, mode_name(listener.mode),
                       listener.tls ? ", TLS" : "");
}

// [queue] as the scheduler applies it, at start and at each reload.
queue::RetrySchedule retry_schedule(const config::Queue& q) {
    return queue::RetrySchedule(q.retry, q.max_age);
}

queue::DelayWarningRule delay_warning_rule(const config::Queue& q) {
    return {.after = q.delay_warning, .max_age = q.max_age};
}

bool speaks_http(config::ListenerMode mode) {
    return mode == config::ListenerMode::http || mode == config::ListenerMode::unsubscribe;
}

bool same_address(const config::Listener& a, const config::Listener& b) {
    return a.host == b.host && a.port == b.port;
}

// Threads for fsync and password hashing, three a core: enough that a large message's flush
// or a password check does not hold up the rest (the journal commits for any number of
// waiting threads at once), few enough that each job finds a thread already awake. Relaying
// on two cores, 6 threads took 0.83 ms of CPU a message, 3 took 0.87-0.94, 10 took 0.91-0.95
// and 16 took 1.0-1.16 (docs/performance.md).
std::size_t blocking_threads() {
    return std::clamp<std::size_t>(3 * std::thread::hardware_concurrency(), 4, 48);
}

}  // namespace

struct Server::Parts {
    config::Config config;
    EventLoop io{1};
    std::unique_ptr<admin::Metrics> metrics;  // before the logs: their observers point at it
    std::unique_ptr<admin::RecentEvents> recent_events;  // with metrics: the console's
    std::unique_ptr<log::MainLog> mainlog;
    std::unique_ptr<log::RejectLog> rejectlog;
    std::unique_ptr<log::PanicLog> paniclog;
    std::optional<spool::SpoolLock> spool_lock;  // held while serving: one server a spool
    std::unique_ptr<spool::Spool> spool;
    std::unique_ptr<BlockingPool> pool;
    std::unique_ptr<dns::UnboundResolver> resolver;
    std::unique_ptr<accept::PendingChecks> pending_checks;  // [dns]: as long as the resolver
    // Before the router: its smtp transports sign with these keys, and shape their traffic
    // to the mailbox providers with this.
    std::shared_ptr<mailauth::dkim::Keyring> dkim;  // null: no [[dkim.key]]
    std::unique_ptr<delivery::TrafficShaper> shaper;
    // Before the router and the queue: they classify, emit and ask the lists (issue 18).
    std::unique_ptr<events::EventPipeline> events;
    std::unique_ptr<suppression::Suppressions> suppressions;
    std::unique_ptr<reports::ReportIntake> reports;  // null: no [bounces] domain
    // Null without [unsubscribe] url (issue 19).
    std::unique_ptr<compliance::UnsubscribeHeaders> unsubscribe_headers;
    std::unique_ptr<compliance::UnsubscribeEndpoint> unsubscribe_endpoint;
    std::unique_ptr<delivery::LiveRouter> router;
    std::filesystem::path config_path;
    std::shared_ptr<policy::Policies> policies;
    // Outside the policies: a reload must not hand a password guesser a fresh count.
    std::unique_ptr<policy::AuthThrottle> auth_throttle;
    // [cluster] (issue 21): the link to Redis and what is shared through it; null without.
    std::unique_ptr<state::RedisLink> redis;
    std::unique_ptr<state::ClusterNodes> nodes;
    std::unique_ptr<state::SharedRateLimits> shared_limits;
    std::unique_ptr<state::SharedSuppressions> shared_suppressions;
    std::unique_ptr<state::SharedShaping> shared_shaping;
    std::unique_ptr<state::SharedSendCounts> shared_send_counts;
    std::unique_ptr<state::AuthFailures> auth_failures;  // the throttle, or Redis' counts
    bool reloading = false;
    std::unique_ptr<mailauth::Preflight> preflight;
    std::unique_ptr<doctor::DeferralExplainer> explainer;  // used when [compliance] explain
    compliance::SenderVolume sender_volume;                // <spool>/compliance.json
    std::unique_ptr<compliance::BulkGate> bulk_gate;       // [compliance] mode says what it does
    std::optional<asio::signal_set> reload_signal;
    std::optional<asio::signal_set> rotate_signal;
    std::unique_ptr<queue::QueueCensus> census;
    std::unique_ptr<queue::Intake> intake;
    std::unique_ptr<accept::Acceptance> acceptance;  // for every listener and the API
    std::unique_ptr<api::IdempotencyStore> idempotency;
    std::unique_ptr<api::IdempotencyKeys> idempotency_keys;  // the store, and Redis' copy
    api::SendServices send_services;
    api::SuppressionServices suppression_services;
    std::unique_ptr<queue::Bouncer> bouncer;
    std::unique_ptr<tlsrpt::TlsReporter> tls_reporter;  // with [tlsrpt] enabled
    std::unique_ptr<queue::Scheduler> scheduler;
    std::unique_ptr<queue::QueueControl> control;
    std::unique_ptr<queue::QueueLoading> queue_loading;  // after the scheduler it feeds
    std::unique_ptr<ControlServer> control_server;
    std::unique_ptr<SendmailSocket> sendmail_socket;
    std::string admin_token;
    ServerTls tls;
    std::unique_ptr<ConnectionLimits> limits;
    std::list<std::shared_ptr<SmtpEntrance>> smtp_entrances;  // one per SMTP [[listener]]
    std::vector<std::string> report;
    std::string started_as;  // " as herald" once root is dropped, for the start line
    // Caught from before the ports accept: a SIGTERM as soon as clients can connect is a
    // clean stop, never the signal's default action.
    std::optional<asio::signal_set> signals;
    // [[listener]] mode = "http" (the sending API) and mode = "unsubscribe" (one-click links).
    struct HttpEntrance {
        config::Listener listener;
        std::unique_ptr<admin::HttpServer> server;
    };
    std::list<HttpEntrance> http_entrances;
    // Closed by a reload: kept, since their connections under way still refer to them.
    std::list<std::unique_ptr<admin::HttpServer>> closed_http_servers;
    // Opened, not yet served: run() or a reload starts them (start_serving).
    std::vector<std::shared_ptr<SmtpEntrance>> smtp_to_start;
    std::vector<admin::HttpServer*> http_to_start;
    std::string tls_stamp;  // of the certificate files in force (tls_files_stamp)
    std::unique_ptr<admin::AdminServer> admin_server;  // last: it uses the parts above

    Status open_storage();
    Status open_journal();
    void report_log_trouble();
    void recover_spool();
    Status build_services();
    Status build_events();
    void equip(policy::Policies& fresh);
    events::EventFigures event_figures() const;
    Status build_cluster();
    admin::ClusterFigures cluster_figures() const;
    asio::awaitable<boost::json::object> cluster_status();
    Status bind_listeners();
    Status bind_sendmail_socket();
    // Whether a message of `size` octets fits beside [limits] spool_reserve: every way in asks.
    bool spool_has_room_for(std::uint64_t size) const {
        const auto free = spool::free_bytes(config.server.spool_dir);
        return !free || spool::has_room_for(*free, size, config.limits.spool_reserve);
    }
    asio::awaitable<smtp::Reply> take_local_message(const accept::LocalRequest& request, uid_t uid,
                                                    std::string data);
    Status open_listener(const config::Listener& listener);
    Status bind_api_listener(const config::Listener& listener);
    Status bind_unsubscribe_listener(const config::Listener& listener);
    SmtpServices services_for(const config::Listener& listener);
    asio::awaitable<void> drain_then_stop();
    std::size_t http_requests_under_way() const;
    asio::awaitable<void> keep_rate_limits();
    asio::awaitable<void> check_dkim_keys();
    void save_rate_limits();
    void save_shaping();
    void restore_shaping();
    boost::json::object shaping_status();
    std::string reset_shaping(std::string_view provider);
    void release_shaping(const std::string& provider);
    asio::awaitable<std::string> control_request(std::string_view verb, std::string_view argument);
    asio::awaitable<std::string> reload(bool force);
    // What a reload reads and checks off the event loop: the config, its DKIM keys and its
    // TLS certificate. `config` empty: the errors say why.
    struct ReadForReload {
        config::LoadResult loaded;
        std::shared_ptr<mailauth::dkim::Keyring> keys;
        std::optional<ServerTls> tls;
    };
    ReadForReload read_for_reload() const;
    struct OpenedListeners {
        std::vector<config::Listener> opened;
        std::vector<std::string> failed;  // when not empty, none was opened
    };
    OpenedListeners open_new_listeners(const config::Config& next);
    std::vector<std::string> close_and_refresh_listeners(const config::Config& next);
    void start_serving();
    void note_listening(const config::Listener& listener);
    void adopt_tls(const ServerTls& fresh);
    asio::awaitable<void> watch_tls_files();
    Result<std::shared_ptr<const delivery::Router>> build_router(
        const config::Config& c, std::shared_ptr<mailauth::dkim::Keyring> keys);
    std::string rotate_logs();
    void rotate_on_sigusr1();
    asio::awaitable<void> rotate_by_size();
    std::string sending_ip_for(std::string_view sender) const;
    asio::awaitable<void> explain(queue::CausedFailure failure);
    void build_compliance();
    void build_tls_reporter();
    asio::awaitable<Result<std::string>> queue_tls_report(const std::string& from,
                                                          const std::string& to, std::string text);
    asio::awaitable<std::string> tlsrpt_request(std::string_view verb);
    doctor::ExplainerSettings explainer_settings() const {
        return {.helo = config.server.hostname,
                .keys = config.dkim_keys,
                .ip_lists = config.compliance.block_lists};
    }
    std::optional<std::string> tls_problem(std::string_view sender,
                                           std::string_view recipient) const;
    void log_bulk_verdict(const std::string& id, const compliance::BulkCandidate& candidate,
                          const std::vector<compliance::RuleVerdict>& verdicts);
    void save_sender_volume();
    bool is_unsubscribe_mailto(std::string_view recipient) const;
    void take_reports(std::string_view message, const std::vector<std::string>& recipients,
                      std::string_view client);
    std::filesystem::path sender_volume_path() const {
        return config.server.spool_dir / "compliance.json";
    }
    void reload_on_sighup();
    std::filesystem::path rate_limits_path() const {
        return config.server.spool_dir / "ratelimits";
    }
    std::filesystem::path shaping_path() const { return config.server.spool_dir / "shaping.json"; }
};

// The admin server's and the HTTP listeners', those a reload closed included.
std::size_t Server::Parts::http_requests_under_way() const {
    std::size_t count = admin_server ? admin_server->requests_under_way() : 0;
    for (const auto& entrance : http_entrances) count += entrance.server->requests_under_way();
    for (const auto& server : closed_http_servers) count += server->requests_under_way();
    return count;
}

// Lets transactions, local submissions, API requests and deliveries under way finish (a
// client mid-DATA, or `herald sendmail` mid-message, gets its 250), for a few seconds at most;
// what is cut off then was never acknowledged, or is retried.
asio::awaitable<void> Server::Parts::drain_then_stop() {
    constexpr auto kGrace = std::chrono::seconds(5);
    constexpr auto kPoll = std::chrono::milliseconds(20);
    asio::steady_timer timer(io);
    const auto deadline = std::chrono::steady_clock::now() + kGrace;
    // Polled: the sessions and deliveries end by themselves, each at its own pace.
    const auto wait_until = [&](const std::function<bool()>& done) -> asio::awaitable<void> {
        while (std::chrono::steady_clock::now() < deadline && !done()) {
            timer.expires_after(kPoll);
            co_await timer.async_wait(asio::use_awaitable);
        }
    };
    // Named, not temporaries in the co_await: GCC 12 destroys those twice.
    const std::function<bool()> drained = [this] {
        return limits->active() == 0 && scheduler->active() == 0 &&
               sendmail_socket->clients() == 0 && http_requests_under_way() == 0;
    };
    const std::function<bool()> closed = [this] { return router->connections_closed(); };
    co_await wait_until(drained);
    // Connections parked for the next message say QUIT before they close (RFC 5321
    // 4.1.1.10), within what is left of the grace period.
    router->close_idle_connections();
    co_await wait_until(closed);
    io.stop();
}

// The counters go to disk every few seconds, so that a restart (even after a crash) does not
// hand a sender a fresh window, nor a throttled provider a fresh rate.
asio::awaitable<void> Server::Parts::keep_rate_limits() {
    constexpr auto kEvery = std::chrono::seconds(5);
    asio::steady_timer timer(io);
    while (true) {
        timer.expires_after(kEvery);
        co_await timer.async_wait(asio::use_awaitable);
        save_rate_limits();
        save_shaping();
        save_sender_volume();
    }
}

void Server::Parts::save_shaping() {
    if (!shaper->take_changed()) return;
    if (auto saved = replace_file(shaping_path(), shaper->save()); !saved) {
        paniclog->write("traffic shaping", saved.error());
    }
}

// A state file that cannot be read costs the reactions it held, not the start.
void Server::Parts::restore_shaping() {
    auto text = read_state_file(shaping_path());
    if (!text) return;
    if (auto restored = shaper->restore(*text); !restored) {
        mainlog->note("shaping: " + shaping_path().string() +
                      " is not usable, starting without its state: " + restored.error());
    }
}

boost::json::object Server::Parts::shaping_status() {
    const auto in_force = router->current();
    const delivery::RunningShaping running{*in_force, *shaper, std::chrono::system_clock::now()};
    return delivery::shaping_status(config.providers, &running);
}

std::string Server::Parts::reset_shaping(std::string_view provider) {
    if (config.find_provider(provider) == nullptr) {
        return "error no provider named '" + std::string(provider) + "'";
    }
    release_shaping(std::string(provider));
    if (shared_shaping) shared_shaping->share_reset(std::string(provider));
    return "ok reset " + std::string(provider);
}

void Server::Parts::release_shaping(const std::string& provider) {
    shaper->reset(provider);
    // The mail it held waits in the queue until its slot or the end of the suspension: it
    // goes now, as after `herald queue flush`.
    scheduler->flush(std::nullopt);
}

// At start, so that the mainlog tells at once which domains' mail will be signed.
asio::awaitable<void> Server::Parts::check_dkim_keys() {
    const mailauth::dkim::Keyring::Note note = [this](const std::string& line) {
        mainlog->note(line);
    };
    co_await dkim->check_named_domains(*resolver, note);
}

void Server::Parts::save_rate_limits() {
    policy::RateLimiter* limiter = policies->limiter.get();
    if (!limiter || !limiter->changed_since_save()) return;
    const auto now = policy::RateLimiter::Clock::now();
    limiter->forget_closed_windows(now);
    if (auto saved = limiter->save_to(rate_limits_path(), now); !saved) {
        paniclog->write("rate limits", saved.error());
    }
}

// Read and checked on the blocking pool: whatever the path names (a file on a slow disk, a
// FIFO nobody writes), SMTP and the admin API keep being served meanwhile. The keys and the
// certificate are loaded here too: a reload that cannot load them changes nothing.
Server::Parts::ReadForReload Server::Parts::read_for_reload() const {
    ReadForReload read{.loaded = config::load_file(config_path)};
    auto& loaded = read.loaded;
    if (!loaded.config) return read;
    // Every problem at once, as check-config prints them.
    auto& errors = loaded.errors;
    for (auto& why : delivery::Router::unbuildable(*loaded.config)) errors.push_back(why);
    if (auto why = policy::Policies::unloadable(*loaded.config)) errors.push_back(*why);
    for (auto& why : serving_file_problems(*loaded.config)) errors.push_back(why);
    if (!errors.empty()) {
        loaded.config.reset();
        return read;
    }
    // Checked above; a file replaced meanwhile still fails here, and refuses the reload.
    const auto& next = *loaded.config;
    if (!next.dkim_keys.empty()) {
        auto keys = mailauth::dkim::Keyring::load(next.dkim_keys);
        if (!keys) errors.push_back(keys.error());
        if (keys) read.keys = std::move(*keys);
    }
    auto tls_loaded = load_server_tls(next.tls.cert, next.tls.key, config.server.spool_dir / "tls",
                                      config.server.hostname);
    if (!tls_loaded) errors.push_back(tls_loaded.error());
    if (tls_loaded) read.tls = std::move(*tls_loaded);
    if (!errors.empty()) loaded.config.reset();
    return read;
}

asio::awaitable<std::string> Server::Parts::control_request(std::string_view verb,
                                                            std::string_view argument) {
    if (verb == "reload") {
        if (argument.empty() || argument == "force") co_return co_await reload(!argument.empty());
        co_return "error reload takes no argument but \"force\"";
    }
    if (verb == "logrotate") co_return rotate_logs();
    if (verb == "shaping") co_return "ok " + boost::json::serialize(shaping_status());
    if (verb == "shaping-reset") co_return reset_shaping(argument);
    if (verb.starts_with("tlsrpt-")) co_return co_await tlsrpt_request(verb);
    co_return control->handle(verb, argument);
}

// Everything the config says is applied without a restart, but the parts listed in
// config::keep_until_restart: the policies (rate limit counts carried over), the transports
// and routes (mail in flight finishes on the old ones), the DKIM keys (a message under way
// keeps its own), the TLS certificate, local domains and users, and the listeners, opened and
// closed (connections under way finish). A config that does not load, or whose keys,
// certificate or new listeners fail, changes nothing; neither does one that would strip the
// server (reload_guard.hpp) unless `force`, nor one that moves the spool.
asio::awaitable<std::string> Server::Parts::reload(bool force) {
    // One at a time: two reloads racing would apply in whichever order their reads end.
    if (reloading) co_return "error a reload is already under way";
    reloading = true;
    notify_reloading();
    // However the reload ends, systemd hears that the server is ready again.
    struct ReloadUnderWay {
        bool& flag;
        ~ReloadUnderWay() {
            flag = false;
            notify_ready();
        }
    } under_way{reloading};
    auto read = co_await pool->run([this] { return read_for_reload(); });
    auto refuse = [&](const std::vector<std::string>& errors, std::string_view advice) {
        std::string joined;
        for (const auto& error : errors) joined += (joined.empty() ? "" : "; ") + error;
        mainlog->note("reload of " + config_path.string() + " refused, the running config " +
                      "stays in force: " + joined + std::string(advice));
        return "error " + joined + std::string(advice);
    };
    if (!read.loaded.config) co_return refuse(read.loaded.errors, "");
    config::Config next = std::move(*read.loaded.config);
    if (auto why = config::unmovable_change(config, next); !why.empty())
        co_return refuse({why}, "");
    if (auto stripped = config::what_reload_would_strip(config, next); !stripped.empty()) {
        if (!force) co_return refuse(stripped, " (herald reload --force applies it anyway)");
        std::string joined;
        for (const auto& reason : stripped) joined += (joined.empty() ? "" : "; ") + reason;
        mainlog->note("reload of " + config_path.string() + " forced although " + joined);
    }
    const auto kept = config::keep_until_restart(config, next);
    // The transports again, with the pools and providers in force.
    if (auto why = delivery::Router::unbuildable(next); !why.empty()) co_return refuse(why, "");
    auto built = build_router(next, read.keys);
    if (!built) co_return refuse({built.error()}, "");
    const auto listeners = open_new_listeners(next);
    if (!listeners.failed.empty()) co_return refuse(listeners.failed, "");
    // Policies read the recipient map and aliases: off the loop too.
    auto fresh = co_await pool->run([&next] { return std::make_shared<policy::Policies>(next); });

    // From here on nothing fails: the new config is in force as a whole.
    dkim = std::move(read.keys);
    equip(*fresh);
    const auto now = policy::RateLimiter::Clock::now();
    if (fresh->limiter && policies->limiter)
        fresh->limiter->load(policies->limiter->save(now), now);
    policies = std::move(fresh);
    router->replace(std::move(*built));
    config = std::move(next);
    limits->change(config.limits.max_connections, config.limits.max_connections_per_ip);
    scheduler->use_rules(retry_schedule(config.queue), delay_warning_rule(config.queue));
    auto trouble = close_and_refresh_listeners(config);
    start_serving();
    for (const auto& listener : listeners.opened) note_listening(listener);
    if (tls_files_stamp(*read.tls) != tls_stamp || read.tls->cert_path != tls.cert_path) {
        adopt_tls(*read.tls);
    }
    std::string restart;
    for (const auto& section : kept) restart += (restart.empty() ? "" : ", ") + section;
    if (!restart.empty()) restart = "; these change at the next restart: " + restart;
    for (const auto& line : trouble) restart += "; " + line;
    explainer->use(explainer_settings());
    bulk_gate->use(config.compliance);
    if (dkim) asio::co_spawn(io, check_dkim_keys(), asio::detached);
    mainlog->note("reloaded " + config_path.string() + restart);
    co_return (force ? "ok reloaded (forced)" : "ok reloaded") + restart;
}

void Server::Parts::adopt_tls(const ServerTls& fresh) {
    adopt_certificate(tls, fresh);
    tls_stamp = tls_files_stamp(fresh);
    mainlog->note("tls: certificate " + tls.cert_path.string() + " loaded");
}

// Certificates renewed by an ACME client (certbot, lego, acme.sh) replace the files: new
// connections get the new pair without a reload. A pair that does not load (written half,
// key and certificate not matching yet) leaves the one in force, and is tried again once the
// files change again.
asio::awaitable<void> Server::Parts::watch_tls_files() {
    asio::steady_timer timer(io);
    while (true) {
        timer.expires_after(config.tls.check_interval);
        auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;
        const auto stamp = tls_files_stamp(tls);
        if (stamp == tls_stamp || reloading) continue;
        auto fresh = co_await pool->run([this] {
            return load_server_tls(config.tls.cert, config.tls.key, config.server.spool_dir / "tls",
                                   config.server.hostname);
        });
        if (fresh) {
            adopt_tls(*fresh);
        } else {
            tls_stamp = stamp;
            mainlog->note(
                "tls: " + tls.cert_path.string() +
                " changed but cannot be loaded, the certificate in force stays: " + fresh.error());
        }
    }
}

// The source_address of the transport the sender's route picks, else [preflight] ip. A
// smarthost's own address is what receivers see, but it is not ours to know: [preflight] ip
// says it.
std::string Server::Parts::sending_ip_for(std::string_view sender) const {
    const config::Transport* t = delivery::routed_transport(config, sender);
    return t && !t->source_address.empty() ? t->source_address : config.preflight.ip;
}

// The deferral explainer's line about one deferral or bounce, beside its `==` or `**` line
// (which never waits for the DNS), and its event.
asio::awaitable<void> Server::Parts::explain(queue::CausedFailure failure) {
    const doctor::Refusal refusal{.cause = failure.cause,
                                  .from_domain = failure.from_domain,
                                  .sender_domain = ascii_lowercase(domain_of(failure.sender)),
                                  .ip = sending_ip_for(failure.sender)};
    const auto explanation = co_await explainer->explain(refusal);
    mainlog->event(failure.id, "explain <" + failure.recipient + ">", explanation.text);
    events::Event event = events::Event::now(events::EventType::explained);
    event.queue_id = failure.id;
    event.recipient = failure.recipient;
    event.sender = failure.sender;
    event.reply = failure.reply;
    event.cause = std::string(events::cause_name(failure.cause));
    event.explanation = explanation.text;
    events->hub().emit(event);
}

// The compliance gate and the counts it reads: messages per sender domain and day from
// acceptance, deliveries and complaints from the events.
void Server::Parts::build_compliance() {
    const auto now = std::chrono::system_clock::now();
    if (auto loaded = compliance::SenderVolume::load(sender_volume_path(), now); loaded) {
        sender_volume = std::move(*loaded);
    } else {
        mainlog->note("compliance: starting without the counts of the last days: " +
                      loaded.error());
    }
    events->hub().watch([this](const events::Event& event) {
        if (!event.sender) return;
        const std::string_view domain = domain_of(*event.sender);  // SenderVolume folds it
        if (event.type == events::EventType::delivered) {
            sender_volume.count_delivered(domain, event.time);
        } else if (event.type == events::EventType::complaint) {
            sender_volume.count_complaint(domain, event.time);
        }
    });
    bulk_gate = std::make_unique<compliance::BulkGate>(
        config.compliance, *resolver, sender_volume,
        [this](std::string_view sender, std::string_view recipient) {
            return tls_problem(sender, recipient);
        });
}

void Server::Parts::save_sender_volume() {
    if (!sender_volume.take_changed()) return;
    if (auto saved = sender_volume.save(sender_volume_path()); !saved) {
        paniclog->write("compliance", saved.error());
    }
}

// TLS towards a recipient is impossible only when its route's smtp transport turns it off;
// local mail does not leave.
std::optional<std::string> Server::Parts::tls_problem(std::string_view sender,
                                                      std::string_view recipient) const {
    if (policies->relay.is_local_recipient(recipient)) return std::nullopt;
    return compliance::route_tls_problem(config, sender);
}

void Server::Parts::log_bulk_verdict(const std::string& id,
                                     const compliance::BulkCandidate& candidate,
                                     const std::vector<compliance::RuleVerdict>& verdicts) {
    const std::string summary = compliance::summary_line(verdicts);
    mainlog->event(id, "compliance " + candidate.from_domain + ":", summary);
    events::Event event = events::Event::now(events::EventType::compliance);
    event.queue_id = id;
    event.sender = candidate.envelope.sender;
    event.user = candidate.envelope.auth_user;
    event.domain = candidate.from_domain;
    event.reason = summary;
    event.rules = compliance::failed_rules(verdicts);
    events->hub().emit(event);
}

// Each log in turn: its generations shift, then the writer reopens (log_rotation.hpp).
std::string Server::Parts::rotate_logs() {
    const auto keep = config.server.log_keep;
    std::string trouble;
    auto rotate = [&](auto& log) {
        auto shifted = log::shift_generations(log.file().path(), keep);
        auto reopened = shifted ? log.reopen() : Status(Error{shifted.error()});
        if (!reopened) trouble += (trouble.empty() ? "" : "; ") + reopened.error();
    };
    rotate(*mainlog);
    rotate(*rejectlog);
    rotate(*paniclog);
    if (auto rotated = events->hub().rotate(keep); !rotated) {
        trouble += (trouble.empty() ? "" : "; ") + rotated.error();
    }
    if (!trouble.empty()) {
        paniclog->write("log rotation", trouble);
        return "error " + trouble;
    }
    mainlog->note("logs rotated");
    return "ok logs rotated";
}

void Server::Parts::rotate_on_sigusr1() {
    rotate_signal->async_wait([this](const boost::system::error_code& ec, int) {
        if (ec) return;
        rotate_logs();
        rotate_on_sigusr1();
    });
}

asio::awaitable<void> Server::Parts::rotate_by_size() {
    constexpr auto kEvery = std::chrono::seconds(10);
    asio::steady_timer timer(io);
    while (true) {
        timer.expires_after(kEvery);
        co_await timer.async_wait(asio::use_awaitable);
        std::error_code ec;
        const auto size = std::filesystem::file_size(mainlog->file().path(), ec);
        if (!ec && size >= config.server.log_rotate_size) rotate_logs();
    }
}

void Server::Parts::reload_on_sighup() {
    reload_signal->async_wait([this](const boost::system::error_code& ec, int) {
        if (ec) return;
        asio::co_spawn(io, reload(false), asio::detached);
        reload_on_sighup();
    });
}

// A log that cannot be written says so in the paniclog and on stderr; the paniclog itself only
// on stderr.
void Server::Parts::report_log_trouble() {
    auto to_stderr = [](std::string_view text) { fmt::print(stderr, "herald: {}\n", text); };
    paniclog->file().set_trouble_reporter(to_stderr);
    auto to_paniclog = [this, to_stderr](std::string_view text) {
        paniclog->write("log", text);
        to_stderr(text);
    };
    mainlog->file().set_trouble_reporter(to_paniclog);
    rejectlog->file().set_trouble_reporter(to_paniclog);
}

Status Server::Parts::open_storage() {
    const auto& server = config.server;
    auto main = log::MainLog::open(server.log_dir / "mainlog");
    if (!main) return Error{main.error()};
    mainlog = std::move(*main);
    auto reject = log::RejectLog::open(server.log_dir / "rejectlog");
    if (!reject) return Error{reject.error()};
    rejectlog = std::move(*reject);
    auto panic = log::PanicLog::open(server.log_dir / "paniclog");
    if (!panic) return Error{panic.error()};
    paniclog = std::move(*panic);
    report_log_trouble();
    if (!config.admin.http.empty()) {
        std::vector<std::string> names;
        for (const auto& t : config.transports) names.push_back(t.name);
        metrics = std::make_unique<admin::Metrics>(names);
        recent_events = std::make_unique<admin::RecentEvents>();
        rejectlog->set_observer(
            [m = metrics.get()](const log::RejectLogEvent& e) { m->observe(e); });
    }

    spool = std::make_unique<spool::Spool>(server.spool_dir);
    if (auto opened = spool->open(); !opened) return Error{"spool: " + opened.error()};
    // Before anything reads the queue: a second server must not recover the first's mail.
    auto locked = spool::SpoolLock::acquire(server.spool_dir);
    if (!locked) return Error{"spool: " + locked.error()};
    spool_lock.emplace(std::move(*locked));
    return open_journal();
}

// What a crash left in the journal is settled before anything reads the queue; from then on
// messages, outcomes and removals share flushes (docs/spool.md, "The journal").
Status Server::Parts::open_journal() {
    constexpr std::chrono::seconds kCheckpointEvery{1};
    auto settled = spool->open_journal(kCheckpointEvery, [this](const std::string& trouble) {
        paniclog->write("spool journal", trouble);
    });
    if (!settled) return Error{"spool: journal: " + settled.error()};
    if (settled->segments > 0) {
        report.push_back(fmt::format(
            "spool journal: {} records replayed from {} segments, {} files written again, {} "
            "finished messages removed{}",
            settled->records, settled->segments, settled->restored, settled->removed,
            settled->torn ? ", the last batch cut short (never acknowledged)" : ""));
    }
    return ok_status();
}

// The events stage (docs/events.md): sinks and the classifier, the suppression lists that
// bounces and complaints add to, and with [bounces] domain the intake of reports. The
// mainlog's lines become events from here on.
Status Server::Parts::build_events() {
    auto pipeline =
        events::EventPipeline::open(config, io.get_executor(), *pool, *mainlog, *paniclog);
    if (!pipeline) return Error{pipeline.error()};
    events = std::move(*pipeline);
    auto list = suppression::SuppressionList::open(config.suppression.database);
    if (!list) return Error{"suppression list: " + list.error()};
    suppressions = std::make_unique<suppression::Suppressions>(
        std::move(*list), config.suppression,
        [this](const std::string& what) { paniclog->write("suppression", what); }, &events->hub());
    events->hub().watch([s = suppressions.get()](const events::Event& event) { s->watch(event); });
    if (recent_events) {
        events->hub().watch(
            [r = recent_events.get()](const events::Event& event) { r->add(event); });
    }
    if (!config.bounces.domain.empty()) {
        auto key = spool::load_or_create_secret(config.server.spool_dir, "bounce.key");
        if (!key) return Error{"bounce key: " + key.error()};
        reports = std::make_unique<reports::ReportIntake>(
            reports::Verp(config.bounces.domain, *key), config.bounces.fbl_address,
            events->classifier(), events->hub(),
            [this](const std::string& id, const std::string& line) {
                if (id == "-") {
                    mainlog->note(line);
                } else {
                    mainlog->event(id, line);
                }
            });
    }
    if (!config.unsubscribe.url.empty()) {
        auto key = spool::load_or_create_secret(config.server.spool_dir, "unsubscribe.key");
        if (!key) return Error{"unsubscribe key: " + key.error()};
        unsubscribe_headers = std::make_unique<compliance::UnsubscribeHeaders>(
            compliance::UnsubscribeLinks(config.unsubscribe.url, *key, config.unsubscribe.lifetime),
            config.unsubscribe.senders, config.unsubscribe.mailto);
        unsubscribe_endpoint = std::make_unique<compliance::UnsubscribeEndpoint>(
            unsubscribe_headers->links(), events->hub(),
            [this](const std::string& line) { mainlog->note(line); });
    }
    mainlog->set_observer([m = metrics.get(), hub = &events->hub()](const log::MainLogEvent& e) {
        if (m) m->observe(e);
        hub->observe(e);
    });
    return ok_status();
}

// What the server, not the config, gives every set of policies: the DKIM keys it loaded, the
// lists to ask and the report addresses to let in.
void Server::Parts::equip(policy::Policies& fresh) {
    fresh.dkim_keys = dkim;
    fresh.limits_shared = shared_limits != nullptr;
    fresh.suppressing = suppressions->for_gate();
    if (reports) {
        fresh.suppressing.report_address = [this](std::string_view recipient) {
            if (is_unsubscribe_mailto(recipient)) return std::optional<bool>(true);
            return reports->check_address(recipient);
        };
    }
}

// [unsubscribe] mailto: at [bounces] domain (the loader sees to it), read at step 0 as the
// reports are.
bool Server::Parts::is_unsubscribe_mailto(std::string_view recipient) const {
    return unsubscribe_endpoint && !config.unsubscribe.mailto.empty() &&
           equals_ignoring_case(recipient, config.unsubscribe.mailto);
}

// Step 0's mail to [bounces] domain: unsubscribe mail to the mailto address, and the reports.
void Server::Parts::take_reports(std::string_view message,
                                 const std::vector<std::string>& recipients,
                                 std::string_view client) {
    std::vector<std::string> reported;
    for (const auto& recipient : recipients) {
        if (is_unsubscribe_mailto(recipient)) {
            unsubscribe_endpoint->take_mail(message, client);
        } else {
            reported.push_back(recipient);
        }
    }
    if (!reported.empty()) reports->take(message, reported, client);
}

events::EventFigures Server::Parts::event_figures() const {
    auto figures = events->figures();
    if (unsubscribe_endpoint) {
        for (std::size_t i = 0; i < compliance::UnsubscribeEndpoint::kOutcomeNames.size(); ++i) {
            figures.unsubscribes[std::string(compliance::UnsubscribeEndpoint::kOutcomeNames[i])] =
                unsubscribe_endpoint->count(
                    static_cast<compliance::UnsubscribeEndpoint::Outcome>(i));
        }
    }
    if (!reports) return figures;
    for (auto kind : {reports::ReportKind::dsn, reports::ReportKind::arf}) {
        for (auto result : {reports::ReportResult::taken, reports::ReportResult::forged,
                            reports::ReportResult::malformed, reports::ReportResult::ignored}) {
            figures.reports[{std::string(reports::kind_name(kind)),
                             std::string(reports::result_name(result))}] =
                reports->count(kind, result);
        }
    }
    return figures;
}

// Once the scheduler exists: what a crash left half-written goes now, and the queue is read
// in the background from run() on, while the server already takes mail.
void Server::Parts::recover_spool() {
    auto note_problems = [this](const spool::RecoveryReport& report) {
        for (const auto& problem : report.problems) paniclog->write("spool recovery", problem);
    };
    const auto removed = spool->recover_incoming();
    note_problems(removed);
    queue_loading = std::make_unique<queue::QueueLoading>(
        io.get_executor(), *spool, *scheduler,
        [this, note_problems](const spool::RecoveryReport& loaded, std::chrono::milliseconds took) {
            note_problems(loaded);
            mainlog->note(fmt::format("spool {}: queue loaded, {} queued, {} set aside, in {} ms",
                                      config.server.spool_dir.string(), loaded.kept, loaded.removed,
                                      took.count()));
        });
    report.push_back(fmt::format("spool {}: {} incomplete removed, loading the queue",
                                 config.server.spool_dir.string(), removed.removed));
}

Result<std::shared_ptr<const delivery::Router>> Server::Parts::build_router(
    const config::Config& c, std::shared_ptr<mailauth::dkim::Keyring> keys) {
    delivery::TransportDependencies dependencies{
        .resolver = *resolver,
        .pool = pool.get(),
        .log = [this](const std::string& line) { mainlog->note(line); },
        .dkim = std::move(keys),
        .shaper = shaper.get()};
    // Each transport trusts its own tls_ca_file for the policy fetch as for its MX hosts;
    // they share the cache on disk.
    dependencies.tls_policies = [this,
                                 dir = c.server.spool_dir / "mta-sts"](const config::Transport& t) {
        return std::make_shared<tlspolicy::MtaStsSource>(
            *resolver, dir, t.tls_ca_file,
            [this](const std::string& line) { mainlog->note(line); });
    };
    if (tls_reporter) {
        dependencies.tls_sessions = [reporter =
                                         tls_reporter.get()](const delivery::TlsSession& session) {
            reporter->record(session);
        };
    }
    if (reports) {
        dependencies.return_path = [verp = &reports->verp()](std::string_view id,
                                                             std::string_view recipient) {
            return verp->return_path(id, recipient);
        };
    }
    auto built = delivery::Router::from_config(c, dependencies);
    if (!built) return Error{built.error()};
    return std::shared_ptr<const delivery::Router>(
        std::make_shared<delivery::Router>(std::move(*built)));
}

// RFC 8460: the reports go from `from` (noreply-tlsrpt@<hostname> by default), signed as any
// mail from its domain would be.
void Server::Parts::build_tls_reporter() {
    const config::TlsRpt& c = config.tlsrpt;
    if (!c.enabled) return;
    const std::string& hostname = config.server.hostname;
    const std::string from = c.from.empty() ? "noreply-tlsrpt@" + hostname : c.from;
    tlsrpt::TlsReporter::Settings settings{
        .us = {.name = c.organization.empty() ? hostname : c.organization,
               .contact = c.contact.empty() ? from : c.contact,
               .submitter = hostname,
               .from = from},
        .dir = config.server.spool_dir / "tlsrpt",
        .ca_file = c.ca_file};
    tls_reporter = std::make_unique<tlsrpt::TlsReporter>(
        io.get_executor(), *resolver, std::move(settings),
        [this](const std::string& from, const std::string& to, std::string text) {
            return queue_tls_report(from, to, std::move(text));
        },
        [this](const std::string& line) { mainlog->note(line); });
}

asio::awaitable<Result<std::string>> Server::Parts::queue_tls_report(const std::string& from,
                                                                     const std::string& to,
                                                                     std::string text) {
    message::Envelope envelope;
    envelope.sender = from;
    envelope.recipients = {to};
    envelope.protocol = "local";
    envelope.arrival = std::chrono::system_clock::now();
    queue::IntakeOptions options{.hostname = config.server.hostname, .mask_client = true};
    if (dkim) {
        const mailauth::dkim::Keyring::Note note = [this](const std::string& line) {
            mainlog->note(line);
        };
        options.dkim = co_await dkim->choose(std::string(domain_of(from)), *resolver, note);
    }
    auto outcome =
        co_await pool->run([&] { return intake->accept(envelope, std::move(text), options); });
    if (auto* failure = std::get_if<queue::IntakeFailure>(&outcome)) {
        co_return Error{failure->message};
    }
    const std::string id = std::get<queue::Accepted>(outcome).id;
    scheduler->enqueue_now(id);
    co_return id;
}

// `herald tlsrpt show` and `herald tlsrpt send`.
asio::awaitable<std::string> Server::Parts::tlsrpt_request(std::string_view verb) {
    if (!tls_reporter) co_return "error TLS reporting is off ([tlsrpt] enabled = false)";
    if (verb == "tlsrpt-show") co_return "ok " + co_await tls_reporter->show();
    if (verb == "tlsrpt-send") {
        auto sent = co_await tls_reporter->send_now();
        co_return sent ? "ok " + *sent : "error " + sent.error();
    }
    co_return "error unknown request " + std::string(verb);
}

Status Server::Parts::build_services() {
    pool = std::make_unique<BlockingPool>(blocking_threads());
    auto resolver_made = dns::UnboundResolver::create(
        io.get_executor(), dns::UnboundOptions{.servers = config.dns.servers,
                                               .trust_anchor_file = config.dns.trust_anchor});
    if (!resolver_made) return Error{resolver_made.error()};  // it says "dns: " itself
    resolver = std::move(*resolver_made);
    pending_checks = std::make_unique<accept::PendingChecks>(
        config.dns.max_pending_checks, [this](const std::string& line) { mainlog->note(line); });
    // Before the transports: the smtp transport signs again what it converts to 7-bit.
    if (!config.dkim_keys.empty()) {
        auto keys = mailauth::dkim::Keyring::load(config.dkim_keys);
        if (!keys) return Error{keys.error()};
        dkim = std::move(*keys);
    }
    if (auto built = build_events(); !built) return built;
    shaper = std::make_unique<delivery::TrafficShaper>(
        config.shaping, [this](const std::string& line) { mainlog->note(line); }, config.ip_pools);
    restore_shaping();
    build_tls_reporter();
    auto built = build_router(config, dkim);
    if (!built) return Error{built.error()};
    router = std::make_unique<delivery::LiveRouter>(std::move(*built));
    if (auto cluster = build_cluster(); !cluster) return cluster;
    policies = std::make_shared<policy::Policies>(config);
    equip(*policies);
    auth_throttle = std::make_unique<policy::AuthThrottle>(policy::AuthThrottleSettings{
        .base_delay = config.limits.auth_failure_delay,
        .failures_before_lockout = config.limits.auth_failures_before_lockout,
        .lockout = config.limits.auth_lockout});
    auth_failures =
        std::make_unique<state::AuthFailures>(*auth_throttle, redis.get(), config.cluster);
    // Built whatever the modes say, which a reload may change: the policies and the config
    // in force decide at each message.
    preflight = std::make_unique<mailauth::Preflight>();
    build_compliance();
    explainer = std::make_unique<doctor::DeferralExplainer>(*resolver, explainer_settings());
    if (policies->limiter) {
        policies->limiter->load_from(rate_limits_path(), policy::RateLimiter::Clock::now());
    }
    // Only /metrics reads the census: without it, no memory is spent on it.
    if (metrics) census = std::make_unique<queue::QueueCensus>(*router);
    intake = std::make_unique<queue::Intake>(*spool, *mainlog, census.get());
    bouncer = std::make_unique<queue::Bouncer>(*intake, *mainlog, config.server.hostname);
    queue::SchedulerSettings settings{
        .max_active = 64,
        .retry = retry_schedule(config.queue),
        .delay_warning = delay_warning_rule(config.queue),
        .classifier = &events->classifier(),
        .suppressed = [this](std::string_view sender, std::string_view recipient,
                             std::string_view list_id) {
            return suppressions->why(sender, recipient, list_id);
        }};
    settings.explain = [this](queue::CausedFailure failure) {
        if (config.compliance.explain)
            asio::co_spawn(io, explain(std::move(failure)), asio::detached);
    };
    scheduler = std::make_unique<queue::Scheduler>(io.get_executor(), *spool, *mainlog, *router,
                                                   *pool, settings, bouncer.get(), census.get());
    scheduler->panic = [this](const std::string& context, const std::string& what) {
        paniclog->write(context, what);
    };
    control = std::make_unique<queue::QueueControl>(*spool, *mainlog, *scheduler, *bouncer);
    acceptance = std::make_unique<accept::Acceptance>(accept::AcceptanceServices{
        .intake = intake.get(),
        .pool = pool.get(),
        .hostname = config.server.hostname,
        .resolver = resolver.get(),
        .preflight = preflight.get(),
        .metrics = metrics.get(),
        .sending_ip = [this](std::string_view sender) { return sending_ip_for(sender); },
        .note = [this](const std::string& line) { mainlog->note(line); },
        .message_event = [this](const std::string& id,
                                const std::string& event) { mainlog->event(id, event); },
        .queued =
            [this](const queue::Accepted& accepted) {
                scheduler->enqueue_now(accepted.id, accepted.as_stored);
            },
        .panic = [this](const std::string& context,
                        const std::string& what) { paniclog->write(context, what); },
        .unsubscribe = unsubscribe_headers.get(),
        .bulk_gate = bulk_gate.get(),
        .pending_checks = pending_checks.get(),
        .bulk_verdict =
            [this](const std::string& id, const compliance::BulkCandidate& candidate,
                   const std::vector<compliance::RuleVerdict>& verdicts) {
                log_bulk_verdict(id, candidate, verdicts);
            }});
    if (reports) {
        acceptance->set_reports(
            [this](std::string_view recipient) {
                return is_unsubscribe_mailto(recipient) || reports->is_report_address(recipient);
            },
            [this](std::string_view message, const std::vector<std::string>& recipients,
                   std::string_view client) { take_reports(message, recipients, client); });
    }
    // A day, as clients of the big sending APIs expect: a retry after that sends again.
    constexpr std::chrono::hours kIdempotencyFor{24};
    auto store = api::IdempotencyStore::open(config.server.spool_dir / "api" / "idempotency",
                                             kIdempotencyFor, std::chrono::system_clock::now());
    if (!store) return Error{"idempotency keys: " + store.error()};
    idempotency = std::move(*store);
    idempotency_keys = std::make_unique<api::IdempotencyKeys>(*idempotency, *pool, redis.get(),
                                                              config.cluster, kIdempotencyFor);
    send_services = api::SendServices{
        .acceptance = acceptance.get(),
        .intake = intake.get(),
        .pool = pool.get(),
        .idempotency = idempotency_keys.get(),
        .shared_limits = shared_limits.get(),
        .policies = [this] { return policies; },
        .hostname = config.server.hostname,
        .max_message_size = config.limits.max_message_size,
        .log_refusal = [this](const std::string& ip, const std::string& what,
                              const std::string& answer) { rejectlog->write(ip, what, answer); }};
    recover_spool();
    // Without [admin] token, the one kept in the spool: the API is never open to every local
    // user (only its owner can read the file).
    admin_token = config.admin.token;
    if (metrics && admin_token.empty()) {
        auto generated = admin::load_or_create_admin_token(config.server.spool_dir);
        if (!generated) return Error{"admin token: " + generated.error()};
        admin_token = std::move(*generated);
    }
    suppression_services = api::SuppressionServices{.suppressions = suppressions.get(),
                                                    .pool = pool.get(),
                                                    .admin_token = admin_token,
                                                    .policies = [this] { return policies; }};
    auto bound = ControlServer::bind(io.get_executor(), config.server.spool_dir / "control.sock",
                                     [this](std::string_view verb, std::string_view argument) {
                                         return control_request(verb, argument);
                                     });
    if (!bound) return Error{bound.error()};
    control_server = std::move(*bound);
    if (auto sendmail = bind_sendmail_socket(); !sendmail) return sendmail;

    auto loaded = load_server_tls(config.tls.cert, config.tls.key, config.server.spool_dir / "tls",
                                  config.server.hostname);
    if (!loaded) return Error{loaded.error()};
    tls = std::move(*loaded);
    tls_stamp = tls_files_stamp(tls);
    if (tls.self_signed) {
        std::string warning = "warning: using a self-signed TLS certificate (" +
                              tls.cert_path.string() + "); set [tls] cert and key";
        report.push_back(warning);
        mainlog->note(warning);
    }
    limits = std::make_unique<ConnectionLimits>(config.limits.max_connections,
                                                config.limits.max_connections_per_ip);
    return ok_status();
}

Status Server::Parts::build_cluster() {
    const config::Cluster& cluster = config.cluster;
    if (!cluster.redis) return ok_status();
    auto settings = state::redis_settings(cluster);
    if (!settings) return Error{"cluster: " + settings.error()};
    const auto note = [this](const std::string& line) { mainlog->note(line); };
    redis = std::make_unique<state::RedisLink>(io.get_executor(), std::move(*settings), note);
    // Subscribed before the link starts (run()); every change the list makes is shared.
    shared_suppressions = std::make_unique<state::SharedSuppressions>(
        *redis, cluster, suppressions->list(), *pool, note);
    suppressions->list().set_observer([this](const suppression::SuppressionList::Change& change) {
        asio::post(io, [this, change] { shared_suppressions->share(change); });
    });
    shared_shaping = std::make_unique<state::SharedShaping>(
        *redis, cluster, *shaper, config.shaping.quiet_period,
        [this](const std::string& provider) { release_shaping(provider); });
    shaper->set_observer([this](const delivery::TrafficShaper::SharedReaction& reaction) {
        asio::post(io, [this, reaction] { shared_shaping->share(reaction); });
    });
    shared_send_counts =
        std::make_unique<state::SharedSendCounts>(io.get_executor(), *redis, cluster, *shaper);
    nodes = std::make_unique<state::ClusterNodes>(
        io.get_executor(), *redis, cluster,
        [this] {
            return state::NodeReport{.queued = scheduler->queued() + scheduler->active(),
                                     .version = std::string(version())};
        },
        note);
    shared_limits = std::make_unique<state::SharedRateLimits>(*redis, cluster,
                                                              [this] { return nodes->alive(); });
    if (metrics) metrics->set_node(cluster.node);
    return ok_status();
}

asio::awaitable<boost::json::object> Server::Parts::cluster_status() {
    boost::json::object out{{"cluster", true},
                            {"node", config.cluster.node},
                            {"redis", redis->settings().url.redacted()},
                            {"up", redis->up()},
                            {"state_changes", redis->state_changes()},
                            {"nodes", boost::json::array()}};
    if (const auto master = redis->master(); !master.empty()) out["master"] = master;
    auto connection = redis->connection();
    if (!connection) {
        out["error"] = "Redis is unreachable";
        co_return out;
    }
    auto nodes_read = co_await state::read_nodes(*connection, config.cluster.prefix);
    if (!nodes_read) {
        out["error"] = nodes_read.error();
        co_return out;
    }
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    out["nodes"] = state::nodes_json(*nodes_read, now);
    co_return out;
}

admin::ClusterFigures Server::Parts::cluster_figures() const {
    return {.redis_up = redis->up(),
            .state_changes = redis->state_changes(),
            .nodes = nodes->alive(),
            .local_counts = shared_limits->fallbacks()};
}

Status Server::Parts::bind_sendmail_socket() {
    auto bound = SendmailSocket::bind(
        io.get_executor(), config.server.spool_dir / "sendmail.sock",
        {.max_message_size = config.limits.max_message_size,
         .read_timeout = config.limits.data_timeout},
        [this](const accept::LocalRequest& request, uid_t uid, std::string data) {
            return take_local_message(request, uid, std::move(data));
        });
    if (!bound) return Error{bound.error()};
    sendmail_socket = std::move(*bound);
    return ok_status();
}

// A local user's message from `herald sendmail`: the user is who the kernel says connected.
asio::awaitable<smtp::Reply> Server::Parts::take_local_message(const accept::LocalRequest& request,
                                                               uid_t uid, std::string data) {
    const std::string user = co_await pool->run([uid] { return accept::local_user_name(uid); });
    // As SMTP answers at MAIL: the message stays with the caller, whose sendmail exits 75.
    smtp::Reply reply(452, "4.3.1", "Insufficient system storage");
    if (spool_has_room_for(data.size())) {
        auto in_force = policies;  // a reload meanwhile must not change the rules mid-message
        reply = co_await accept::accept_local(*acceptance, *intake, *pool, *in_force,
                                              shared_limits.get(), config.server.hostname, request,
                                              user, std::move(data));
    }
    if (!reply.positive()) rejectlog->write("local", "sendmail from " + user, reply.summary());
    co_return reply;
}

SmtpServices Server::Parts::services_for(const config::Listener& listener) {
    SmtpServices s;
    const auto& limits_cfg = config.limits;
    s.settings.hostname = config.server.hostname;
    s.settings.mode = session_mode(listener.mode);
    s.settings.max_message_size =
        listener.max_message_size > 0 ? listener.max_message_size : limits_cfg.max_message_size;
    s.settings.max_recipients = limits_cfg.max_recipients;
    s.settings.max_errors = limits_cfg.max_errors;
    s.settings.max_received_headers = limits_cfg.max_received_headers;
    s.settings.normalize_bare_line_endings =
        config.smtp.bare_line_endings == config::Smtp::BareLineEndings::normalize;
    s.settings.tls_available = listener.mode != config::ListenerMode::submissions;
    s.settings.tls_active = listener.mode == config::ListenerMode::submissions;
    s.settings.auth_available = !config.users.empty();
    s.settings.command_timeout = limits_cfg.command_timeout;
    s.settings.data_timeout = limits_cfg.data_timeout;
    s.allow_plaintext_auth_on_loopback = config.smtp.allow_plaintext_auth_on_loopback;
    s.auth_failure_delay = limits_cfg.auth_failure_delay;
    s.auth_failures = auth_failures.get();
    s.settings.has_room_for = [this](std::uint64_t size) { return spool_has_room_for(size); };
    s.policies = [this] { return policies; };
    s.tls = &tls;
    s.intake = intake.get();
    s.acceptance = acceptance.get();
    s.shared_limits = shared_limits.get();
    s.metrics = metrics.get();
    s.note = [this](const std::string& line) { mainlog->note(line); };
    s.pool = pool.get();
    s.log_rejection = [this](const std::string& ip, const smtp::Rejection& rejection) {
        rejectlog->write(ip, rejection.command, rejection.reply.summary());
    };
    s.panic = [this](const std::string& context, const std::string& what) {
        paniclog->write(context, what);
    };
    return s;
}

Status Server::Parts::bind_listeners() {
    // The admin server first: once a client can connect to SMTP, its token file exists and
    // the admin API answers.
    std::vector<std::string> admin_report;
    if (metrics) {
        auto bound = admin::AdminServer::bind(
            io.get_executor(), config.admin.http,
            admin::AdminServices{
                .metrics = *metrics,
                .census = *census,
                .spool = *spool,
                .pool = *pool,
                .queue_action = [this](std::string_view action,
                                       std::string_view id) { return control->handle(action, id); },
                .config = [this]() -> const config::Config& { return config; },
                .token = admin_token,
                .loopback_only = config.admin.token.empty(),
                .note = [this](const std::string& line) { mainlog->note(line); },
                .log_dir = config.server.log_dir,
                .resolver = resolver.get(),
                .hostname = config.server.hostname,
                .send =
                    [this](const admin::HttpRequest& request) {
                        return api::send_messages(send_services, request);
                    },
                .send_precheck =
                    [this](const admin::HttpRequest& header) {
                        return api::refuse_before_body(send_services, header);
                    },
                .send_body_limit = api::request_body_limit(config.limits.max_message_size),
                .suppressions =
                    [this](const admin::HttpRequest& request) {
                        return api::manage_suppressions(suppression_services, request);
                    },
                .shaping_status = [this] { return shaping_status(); },
                .shaping_reset =
                    [this](std::string_view provider) { return reset_shaping(provider); },
                .shaping_figures =
                    [this] { return shaper->figures(std::chrono::system_clock::now()); },
                .event_figures = [this] { return event_figures(); },
                .tlsrpt_figures = tls_reporter ? std::function<tlsrpt::TlsRptFigures()>(
                                                     [this] { return tls_reporter->figures(); })
                                               : nullptr,
                .cluster_figures = redis ? std::function<admin::ClusterFigures()>(
                                               [this] { return cluster_figures(); })
                                         : nullptr,
                .queue_loading = [this] { return queue_loading->figures(); },
                .cluster_status = redis ? std::function<asio::awaitable<boost::json::object>()>(
                                              [this] { return cluster_status(); })
                                        : nullptr,
                .recent_events = recent_events.get()});
        if (!bound) return Error{bound.error()};
        admin_server = std::move(*bound);
        admin_report.push_back("admin http on " + admin_server->local_address() +
                               " (/metrics, /api, console)");
        if (config.admin.token.empty()) {
            admin_report.push_back("admin token in " +
                                   (config.server.spool_dir / admin::kAdminTokenFile).string());
        }
    }
    for (const auto& listener : config.listeners) {
        if (auto opened = open_listener(listener); !opened) return opened;
        report.push_back(listening_line(listener));
    }
    report.insert(report.end(), admin_report.begin(), admin_report.end());
    return ok_status();
}

// Bound, not yet served (start_serving).
Status Server::Parts::open_listener(const config::Listener& listener) {
    if (listener.mode == config::ListenerMode::http) return bind_api_listener(listener);
    if (listener.mode == config::ListenerMode::unsubscribe) {
        return bind_unsubscribe_listener(listener);
    }
    auto acceptor = bind_listener(io.get_executor(), listener.host, listener.port);
    if (!acceptor) return Error{acceptor.error()};
    auto entrance = std::make_shared<SmtpEntrance>(
        SmtpEntrance{std::move(*acceptor),
                     std::make_shared<const SmtpServices>(services_for(listener)), listener});
    smtp_entrances.push_back(entrance);
    smtp_to_start.push_back(std::move(entrance));
    return ok_status();
}

void Server::Parts::note_listening(const config::Listener& listener) {
    mainlog->note(listening_line(listener));
}

void Server::Parts::start_serving() {
    for (auto& entrance : smtp_to_start) {
        asio::co_spawn(io, accept_smtp_connections(entrance, *limits), asio::detached);
    }
    for (auto* server : http_to_start) asio::co_spawn(io, server->serve(), asio::detached);
    smtp_to_start.clear();
    http_to_start.clear();
}

// A reload's listeners at addresses not open now, before anything else changes: one that
// cannot be bound (taken, or a privileged port once root is gone) refuses the reload, and
// those opened meanwhile are closed again.
Server::Parts::OpenedListeners Server::Parts::open_new_listeners(const config::Config& next) {
    auto open_now = [this](const config::Listener& listener) {
        return std::any_of(smtp_entrances.begin(), smtp_entrances.end(),
                           [&](const auto& e) { return same_address(e->listener, listener); }) ||
               std::any_of(http_entrances.begin(), http_entrances.end(),
                           [&](const auto& e) { return same_address(e.listener, listener); });
    };
    OpenedListeners result;
    auto& failed = result.failed;
    for (const auto& listener : next.listeners) {
        if (open_now(listener)) continue;
        result.opened.push_back(listener);
        if (listener.mode == config::ListenerMode::unsubscribe && !unsubscribe_endpoint) {
            failed.push_back("listener " + listener.address +
                             ": mode = \"unsubscribe\" needs [unsubscribe] url, which changes at "
                             "the next restart only");
        } else if (auto opened = open_listener(listener); !opened) {
            failed.push_back(opened.error());
        }
    }
    if (failed.empty()) return result;
    boost::system::error_code ignored;
    for (auto& entrance : smtp_to_start) {
        entrance->acceptor.close(ignored);
        smtp_entrances.remove(entrance);
    }
    for (auto* server : http_to_start) {
        server->close();
        http_entrances.remove_if([server](const auto& e) { return e.server.get() == server; });
    }
    smtp_to_start.clear();
    http_to_start.clear();
    result.opened.clear();
    return result;
}

// After open_new_listeners, with `next` in force: listeners no longer in it are closed (their
// connections finish), the others get services made from it (AUTH once a [[user]] exists,
// the new limits). A listener that stays at its address but changes between SMTP and HTTP is
// opened again; the trouble that may bring is returned.
std::vector<std::string> Server::Parts::close_and_refresh_listeners(const config::Config& next) {
    auto wanted = [&next](const config::Listener& now) -> const config::Listener* {
        for (const auto& l : next.listeners) {
            if (same_address(l, now) && speaks_http(l.mode) == speaks_http(now.mode) &&
                (!speaks_http(l.mode) || (l.mode == now.mode && l.tls == now.tls))) {
                return &l;
            }
        }
        return nullptr;
    };
    std::vector<config::Listener> reopen;
    boost::system::error_code ignored;
    for (auto it = smtp_entrances.begin(); it != smtp_entrances.end();) {
        const auto* kept = wanted((*it)->listener);
        if (!kept) {
            mainlog->note("listener " + (*it)->listener.address + " closed");
            (*it)->acceptor.close(ignored);
            it = smtp_entrances.erase(it);
            continue;
        }
        (*it)->listener = *kept;
        (*it)->services = std::make_shared<const SmtpServices>(services_for(*kept));
        ++it;
    }
    for (auto it = http_entrances.begin(); it != http_entrances.end();) {
        if (wanted(it->listener)) {
            ++it;
            continue;
        }
        mainlog->note("listener " + it->listener.address + " closed");
        it->server->close();
        closed_http_servers.push_back(std::move(it->server));
        it = http_entrances.erase(it);
    }
    std::vector<std::string> trouble;
    for (const auto& listener : next.listeners) {
        const bool open = std::any_of(smtp_entrances.begin(), smtp_entrances.end(),
                                      [&](const auto& e) { return e->listener == listener; }) ||
                          std::any_of(http_entrances.begin(), http_entrances.end(),
                                      [&](const auto& e) { return e.listener == listener; });
        if (open) continue;
        if (auto opened = open_listener(listener); !opened) {
            trouble.push_back(opened.error());
        } else {
            note_listening(listener);
        }
    }
    return trouble;
}

Status Server::Parts::bind_api_listener(const config::Listener& listener) {
    const std::size_t body_limit = api::request_body_limit(config.limits.max_message_size);
    admin::HttpServerSettings settings{.max_connections = config.limits.max_connections,
                                       .body_limit =
                                           [body_limit](std::string_view path) {
                                               return path == admin::kSendPath ? body_limit : 0;
                                           },
                                       .max_body_limit = body_limit,
                                       .before_body =
                                           [this](const admin::HttpRequest& header) {
                                               return api::refuse_before_body(send_services,
                                                                              header);
                                           },
                                       .tls = listener.tls ? tls.context : nullptr};
    auto bound =
        admin::HttpServer::bind(io.get_executor(), listener.address, "listener " + listener.address,
                                std::move(settings), [this](const admin::HttpRequest& request) {
                                    return api::answer_api_listener(send_services, request);
                                });
    if (!bound) return Error{bound.error()};
    http_to_start.push_back(bound->get());
    http_entrances.push_back({listener, std::move(*bound)});
    return ok_status();
}

// The one-click unsubscribe links' page (compliance/unsubscribe_endpoint.hpp): small bodies,
// HTTPS with the server's certificate when tls = true.
Status Server::Parts::bind_unsubscribe_listener(const config::Listener& listener) {
    constexpr std::size_t kBodyLimit = 4096;
    admin::HttpServerSettings settings{.max_connections = config.limits.max_connections,
                                       .body_limit = [](std::string_view) { return kBodyLimit; },
                                       .max_body_limit = kBodyLimit,
                                       .tls = listener.tls ? tls.context : nullptr};
    auto bound = admin::HttpServer::bind(
        io.get_executor(), listener.address, "listener " + listener.address, std::move(settings),
        [this](const admin::HttpRequest& request) -> asio::awaitable<admin::HttpResponse> {
            co_return unsubscribe_endpoint->answer(request);
        });
    if (!bound) return Error{bound.error()};
    http_to_start.push_back(bound->get());
    http_entrances.push_back({listener, std::move(*bound)});
    return ok_status();
}

namespace {

// Each connection is a descriptor: the default soft limit (often 1024) would cap
// limits.max_connections long before memory does.
std::string raise_descriptor_limit(std::size_t wanted) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return "";
    rlim_t target = std::min<rlim_t>(limit.rlim_max, static_cast<rlim_t>(wanted) + 256);
    if (limit.rlim_cur < target) {
        limit.rlim_cur = target;
        ::setrlimit(RLIMIT_NOFILE, &limit);
        ::getrlimit(RLIMIT_NOFILE, &limit);
    }
    if (limit.rlim_cur < wanted + 64) {
        return fmt::format(
            "warning: only {} file descriptors for {} connections "
            "(limits.max_connections); raise the hard limit (ulimit -Hn)",
            limit.rlim_cur, wanted);
    }
    return "";
}

}  // namespace

// Started as root with [server] user (run_as.hpp): the directories are prepared as root,
// storage and services opened as the user, the listeners bound as root, then root is gone.
Result<std::unique_ptr<Server>> Server::create(config::Config config,
                                               std::filesystem::path config_path,
                                               std::optional<RunAs> run_as) {
    auto parts = std::make_unique<Parts>();
    if (auto warning = raise_descriptor_limit(config.limits.max_connections); !warning.empty()) {
        parts->report.push_back(warning);
    }
    parts->config = std::move(config);
    parts->config_path = std::move(config_path);
    parts->signals.emplace(parts->io, SIGINT, SIGTERM);
    parts->reload_signal.emplace(parts->io, SIGHUP);
    parts->rotate_signal.emplace(parts->io, SIGUSR1);
    if (run_as) {
        auto prepared = prepare_directories(*run_as, parts->config.server.spool_dir,
                                            parts->config.server.log_dir);
        if (!prepared) return Error{prepared.error()};
        parts->report.insert(parts->report.end(), prepared->begin(), prepared->end());
        if (auto acting = act_as(*run_as); !acting) return Error{acting.error()};
    }
    for (auto step : {&Parts::open_storage, &Parts::build_services}) {
        if (auto st = ((*parts).*step)(); !st) return Error{st.error()};
    }
    if (run_as) {
        if (auto root = act_as_root(); !root) return Error{root.error()};
    }
    if (auto bound = parts->bind_listeners(); !bound) return Error{bound.error()};
    if (run_as) {
        if (auto dropped = drop_for_good(*run_as); !dropped) return Error{dropped.error()};
        parts->started_as = " as " + run_as->user;
        parts->report.push_back(
            fmt::format("running as {} (uid {}, gid {})", run_as->user, run_as->uid, run_as->gid));
    }
    return std::unique_ptr<Server>(new Server(std::move(parts)));
}

Server::Server(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}
Server::~Server() = default;

const std::vector<std::string>& Server::startup_report() const {
    return parts_->report;
}

int Server::run() {
    Parts& p = *parts_;
    auto executor = p.io.get_executor();
    p.start_serving();
    p.queue_loading->start();
    asio::co_spawn(executor, p.control_server->serve(), asio::detached);
    asio::co_spawn(executor, p.sendmail_socket->serve(), asio::detached);
    asio::co_spawn(executor, p.keep_rate_limits(), asio::detached);
    if (p.admin_server) asio::co_spawn(executor, p.admin_server->serve(), asio::detached);
    if (p.dkim) asio::co_spawn(executor, p.check_dkim_keys(), asio::detached);
    if (p.tls_reporter) asio::co_spawn(executor, p.tls_reporter->run(), asio::detached);
    asio::co_spawn(executor, p.watch_tls_files(), asio::detached);
    p.reload_on_sighup();
    p.rotate_on_sigusr1();
    if (p.config.server.log_rotate_size > 0) {
        asio::co_spawn(executor, p.rotate_by_size(), asio::detached);
    }
    p.events->start();
    if (p.redis) {
        p.redis->start();
        p.nodes->start();
        p.shared_send_counts->start();
    }
    p.mainlog->note(version_line() + " started" + p.started_as);
    notify_ready();

    p.signals->async_wait([&p](const boost::system::error_code& ec, int) {
        if (ec) return;
        p.mainlog->note("herald stopping");
        notify_stopping();
        boost::system::error_code ignored;
        for (auto& entrance : p.smtp_entrances) entrance->acceptor.close(ignored);
        p.control_server->close();
        p.sendmail_socket->close();
        if (p.admin_server) p.admin_server->close();
        for (auto& entrance : p.http_entrances) entrance.server->close();
        p.reload_signal->cancel();
        p.rotate_signal->cancel();
        p.queue_loading->stop();
        p.scheduler->stop();
        p.events->stop();
        if (p.tls_reporter) p.tls_reporter->stop();
        if (p.redis) {
            p.shared_send_counts->stop();
            p.nodes->stop();
            p.redis->stop();
        }
        asio::co_spawn(p.io, p.drain_then_stop(), asio::detached);
    });
    p.io.run();
    p.pool.reset();  // joins: fsyncs in flight finish before exit
    // What the loop will not run now holds coroutine frames that point into the parts (a
    // sendmail client's count, a session's slot): they go while the parts exist, after the
    // journal's last callbacks were posted to them.
    p.spool->close_journal();
    p.io.discard_pending_work();
    p.save_rate_limits();
    p.save_shaping();
    p.save_sender_volume();
    return 0;
}

}  // namespace herald::net
