#include "cli/queue_command.hpp"

#include <fmt/core.h>
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <chrono>

#include "admin/queue_listing.hpp"
#include "base/timestamp.hpp"
#include "cli/config_loading.hpp"
#include "cli/control_client.hpp"
#include "log/main_log.hpp"
#include "spool/message_id.hpp"
#include "spool/spool.hpp"

namespace herald::cli {

namespace {

using Clock = std::chrono::system_clock;

std::string age_of(Clock::time_point arrival) {
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - arrival).count();
    if (secs < 0) secs = 0;
    if (secs < 60) return fmt::format("{}s", secs);
    if (secs < 3600) return fmt::format("{}m", secs / 60);
    if (secs < 86400) return fmt::format("{}h{:02}m", secs / 3600, secs % 3600 / 60);
    return fmt::format("{}d{:02}h", secs / 86400, secs % 86400 / 3600);
}

using admin::next_attempt_text;
using admin::QueueEntry;

void print_list(const std::vector<QueueEntry>& entries) {
    for (const auto& e : entries) {
        const auto& env = e.message.envelope;
        std::string last_error = e.schedule && !e.schedule->last_error.empty()
                                     ? " \"" + e.schedule->last_error + "\""
                                     : "";
        fmt::print("{} {:>6} <{}> {}/{} pending: {} next={}{}\n", e.message.id, age_of(env.arrival),
                   env.sender, e.pending.size(), e.message.recipients.size(),
                   fmt::join(e.pending, ","), next_attempt_text(e), last_error);
    }
}

void print_json(const std::vector<QueueEntry>& entries) {
    fmt::print("{}\n", boost::json::serialize(admin::queue_json(entries, Clock::now())));
}

// Shared by every queue subcommand: the config, then the spool it names.
std::unique_ptr<spool::Spool> open_spool(const GlobalOptions& global) {
    auto config = load_config_or_report(global.config);
    if (!config) return nullptr;
    auto spool = std::make_unique<spool::Spool>(config->server.spool_dir);
    if (auto st = spool->open(); !st) {
        fmt::print(stderr, "herald: spool: {}\n", st.error());
        return nullptr;
    }
    return spool;
}

// An action: through the running server if there is one, else on the spool directly.
int act(const GlobalOptions& global, const std::string& verb, const std::string& id) {
    if (!id.empty() && !spool::is_valid_message_id(id)) {
        fmt::print(stderr, "herald: queue {}: '{}' is not a message id\n", verb, id);
        return kExitUsage;
    }
    auto config = load_config_or_report(global.config);
    if (!config) return kExitUsage;
    std::string request = id.empty() ? verb : verb + " " + id;
    auto reply = send_control_request(config->server.spool_dir / "control.sock", request);
    if (!reply) {
        spool::Spool spool(config->server.spool_dir);
        if (verb == "flush") {
            fmt::print("herald is not running: the queue is tried when it starts\n");
            return kExitOk;
        }
        if (verb == "bounce") {
            fmt::print(stderr, "herald: queue bounce needs the running server\n");
            return kExitFailure;
        }
        auto mainlog = log::MainLog::open(config->server.log_dir / "mainlog");
        if (!mainlog) {
            fmt::print(stderr, "herald: {}\n", mainlog.error());
            return kExitFailure;
        }
        // Without a server the scheduler is the file itself: QueueControl's offline twin.
        Status st = verb == "delete" ? spool.remove(id) : spool.set_held(id, verb == "hold");
        if (!st) {
            fmt::print(stderr, "herald: queue {}: {}\n", verb, st.error());
            return kExitFailure;
        }
        (*mainlog)->event(id, verb == "delete" ? "deleted by administrator"
                              : verb == "hold" ? "held by administrator"
                                               : "released by administrator");
        fmt::print("ok {} {}\n", verb, id);
        return kExitOk;
    }
    bool ok = reply->starts_with("ok");
    fmt::print(ok ? stdout : stderr, "{}\n", ok ? *reply : "herald: " + reply->substr(6));
    return ok ? kExitOk : kExitFailure;
}

int show(const GlobalOptions& global, const std::string& id) {
    if (!spool::is_valid_message_id(id)) {
        fmt::print(stderr, "herald: queue show: '{}' is not a message id\n", id);
        return kExitUsage;
    }
    auto spool = open_spool(global);
    if (!spool) return kExitUsage;
    auto message = spool->load(id);
    if (!message) {
        fmt::print(stderr, "herald: queue show: no message {} in the queue\n", id);
        return kExitFailure;
    }
    const auto& env = message->envelope;
    auto schedule = spool->load_schedule(id);
    fmt::print(
        "id: {}\narrival: {}\nsender: <{}>\nclient: {} helo={} protocol={} auth={}\n"
        "size: {}\nheld: {}\n",
        id, iso8601_utc(env.arrival), env.sender, env.client_ip, env.helo, env.protocol,
        env.auth_user, message->data_size, message->held ? "yes" : "no");
    for (const auto& r : message->recipients) {
        fmt::print("recipient: {} {}\n", r.address, spool::to_string(r.state));
    }
    if (schedule) {
        fmt::print("attempts: {}\nnext attempt: {}\nlast error: {}\n", schedule->attempts,
                   iso8601_utc(schedule->next_attempt), schedule->last_error);
    }
    auto data = spool->read_data(id);
    if (data) {
        auto end = data->find("\r\n\r\n");
        fmt::print("\n{}", data->substr(0, end == std::string::npos ? data->size() : end + 2));
    }
    return kExitOk;
}

}  // namespace

void add_queue_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto* queue = app.add_subcommand("queue", "Inspect and steer the queue");
    queue->require_subcommand(1);

    auto* list = queue->add_subcommand("list", "One line per queued message");
    auto json = std::make_shared<bool>(false);
    list->add_flag("--json", *json, "print a JSON array");
    list->callback([&global, &exit_code, json] {
        auto spool = open_spool(global);
        if (!spool) {
            exit_code = kExitUsage;
            return;
        }
        auto entries = admin::read_queue(*spool).entries;
        *json ? print_json(entries) : print_list(entries);
    });

    auto id = std::make_shared<std::string>();
    auto* show_cmd = queue->add_subcommand("show", "Envelope, state and headers of a message");
    show_cmd->add_option("id", *id, "message id")->required();
    show_cmd->callback([&global, &exit_code, id] { exit_code = show(global, *id); });

    auto* flush = queue->add_subcommand("flush", "Try deferred messages (or one) now");
    flush->add_option("id", *id, "message id");
    flush->callback([&global, &exit_code, id] { exit_code = act(global, "flush", *id); });

    for (auto [verb, help] : {std::pair{"delete", "Remove a message without a bounce"},
                              std::pair{"hold", "Keep a message from being delivered"},
                              std::pair{"release", "Let a held message be delivered again"},
                              std::pair{"bounce", "Fail a message's pending recipients"}}) {
        auto* cmd = queue->add_subcommand(verb, help);
        cmd->add_option("id", *id, "message id")->required();
        cmd->callback([&global, &exit_code, id, verb = std::string(verb)] {
            exit_code = act(global, verb, *id);
        });
    }
}

}  // namespace herald::cli
