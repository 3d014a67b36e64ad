#include "cli/queue_command.hpp"

#include <fmt/core.h>
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>

#include "admin/queue_listing.hpp"
#include "base/timestamp.hpp"
#include "cli/config_loading.hpp"
#include "cli/control_client.hpp"
#include "cli/queue_filter_options.hpp"
#include "log/log_views.hpp"
#include "log/main_log.hpp"
#include "message/header_block.hpp"
#include "queue/destination_label.hpp"
#include "queue/queue_control.hpp"
#include "queue/queue_shape.hpp"
#include "spool/message_id.hpp"
#include "spool/spool.hpp"
#include "spool/spool_lock.hpp"

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

std::string plural(std::size_t n, std::string_view word) {
    return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

using admin::next_attempt_text;
using admin::QueueEntry;

void print_list(const admin::QueueListing& listing, bool filtered) {
    if (listing.total == 0) {
        fmt::print("Mail queue is empty\n");  // as Postfix's postqueue says it
        return;
    }
    for (const auto& e : listing.entries) {
        const auto& env = e.message.envelope;
        std::string last_error = e.schedule && !e.schedule->last_error.empty()
                                     ? " \"" + e.schedule->last_error + "\""
                                     : "";
        fmt::print("{} {:>6} <{}> {}/{} pending: {} next={}{}\n", e.message.id, age_of(env.arrival),
                   env.sender, e.pending.size(), e.message.recipients.size(),
                   fmt::join(e.pending, ","), next_attempt_text(e), last_error);
    }
    fmt::print("-- {}, {} pending, {} KiB{}\n", plural(listing.matching, "message"),
               plural(listing.pending_recipients, "recipient"), (listing.bytes + 1023) / 1024,
               filtered ? fmt::format(" (of {} queued)", listing.total) : "");
}

struct Queue {
    config::Config config;
    spool::Spool spool;
};

// Shared by every queue subcommand: the config, then the spool it names.
std::unique_ptr<Queue> open_queue(const GlobalOptions& global) {
    auto config = load_config_or_report(global.config);
    if (!config) return nullptr;
    auto queue = std::make_unique<Queue>(Queue{*config, spool::Spool(config->server.spool_dir)});
    if (auto st = queue->spool.open(); !st) {
        fmt::print(stderr, "herald: spool: {}\n", st.error());
        return nullptr;
    }
    return queue;
}

struct ListArgs {
    QueueFilterOptions filter;
    bool json = false;
};

int list(const GlobalOptions& global, const ListArgs& args) {
    auto queue = open_queue(global);
    if (!queue) return kExitUsage;
    auto filter = queue_filter_or_report(args.filter, queue->config, "list");
    if (!filter) return kExitUsage;
    const admin::QueueQuery query{
        .filter = *filter, .transport_of = queue::transport_names(queue->config), .totals = true};
    const auto now = Clock::now();
    const auto listing = admin::read_queue(queue->spool, query, now);
    if (args.json) {
        fmt::print("{}\n", boost::json::serialize(admin::queue_json(listing.entries, now)));
    } else {
        print_list(listing, !filter->empty());
    }
    return kExitOk;
}

struct SummaryArgs {
    QueueFilterOptions filter;
    std::string by = "domain";
    bool json = false;
};

queue::QueueShape shape_of(const Queue& queue, const queue::QueueFilter& filter, bool by_transport,
                           Clock::time_point now) {
    const auto transport_of = queue::transport_names(queue.config);
    queue::QueueShape shape;
    for (const auto& id : queue.spool.list()) {
        const auto message = queue.spool.load(id);
        if (!message || !filter.matches(*message, now, transport_of)) continue;
        const auto& sender = message->envelope.sender;
        const auto age =
            std::chrono::duration_cast<std::chrono::seconds>(now - message->envelope.arrival);
        for (const auto& r : message->recipients) {
            if (r.state != spool::RecipientState::pending) continue;
            if (!filter.takes_recipient(sender, r.address, transport_of)) continue;
            shape.add(by_transport ? transport_of(sender, r.address)
                                   : queue::destination_label(r.address),
                      age);
        }
    }
    return shape;
}

boost::json::object row_json(const queue::QueueShape::Row& row) {
    return {{"name", row.name},
            {"total", row.total},
            {"counts", boost::json::array(row.counts.begin(), row.counts.end())}};
}

void print_summary(const queue::QueueShape& shape, std::string_view by) {
    const auto rows = shape.rows();
    std::size_t width = std::max<std::size_t>(by.size(), 5);
    for (const auto& row : rows) width = std::max(width, row.name.size());
    auto print_row = [width](const queue::QueueShape::Row& row) {
        fmt::print("{:<{}} {:>6}", row.name, width, row.total);
        for (auto count : row.counts) fmt::print(" {:>6}", count);
        fmt::print("\n");
    };
    fmt::print("{:<{}} {:>6}", by, width, "T");
    for (const auto& name : queue::QueueShape::bucket_names()) fmt::print(" {:>6}", name);
    fmt::print("\n");
    print_row(shape.total());
    for (const auto& row : rows) print_row(row);
}

int summary(const GlobalOptions& global, const SummaryArgs& args) {
    auto queue = open_queue(global);
    if (!queue) return kExitUsage;
    auto filter = queue_filter_or_report(args.filter, queue->config, "summary");
    if (!filter) return kExitUsage;
    const auto shape = shape_of(*queue, *filter, args.by == "transport", Clock::now());
    if (!args.json) {
        print_summary(shape, args.by);
        return kExitOk;
    }
    boost::json::array rows;
    for (const auto& row : shape.rows()) rows.push_back(row_json(row));
    const auto names = queue::QueueShape::bucket_names();
    fmt::print("{}\n", boost::json::serialize(boost::json::object{
                           {"by", args.by},
                           {"bucket_minutes", boost::json::array(names.begin(), names.end())},
                           {"total", row_json(shape.total())},
                           {"rows", std::move(rows)}}));
    return kExitOk;
}

std::string_view past_tense(std::string_view verb) {
    if (verb == "flush") return "flushed";
    if (verb == "hold") return "held";
    if (verb == "release") return "released";
    if (verb == "delete") return "deleted";
    return "bounced";
}

// Without a server the scheduler is the file itself: QueueControl's offline twin, for hold,
// release and delete. What a crash left in the journal is settled first (holding the
// server's lock meanwhile), so that its replay at the next start cannot undo the change.
Status act_offline(spool::Spool& spool, log::MainLog& mainlog, std::string_view verb,
                   const std::string& id) {
    auto locked = spool::SpoolLock::acquire(spool.directory());
    if (!locked) return Error{locked.error()};
    if (auto settled = spool.settle_journal(); !settled) return Error{settled.error()};
    Status st = verb == "delete" ? spool.remove(id) : spool.set_held(id, verb == "hold");
    if (!st) return st;
    mainlog.event(id, verb == "delete" ? "deleted by administrator"
                      : verb == "hold" ? "held by administrator"
                                       : "released by administrator");
    return ok_status();
}

// What is done when no server answers: flush has nothing to do and bounce cannot be done;
// nullopt for the others, which act on the spool.
std::optional<int> without_server(std::string_view verb) {
    if (verb == "flush") {
        fmt::print("herald is not running: the queue is tried when it starts\n");
        return kExitOk;
    }
    if (verb == "bounce") {
        fmt::print(stderr, "herald: queue bounce needs the running server\n");
        return kExitFailure;
    }
    return std::nullopt;
}

std::unique_ptr<log::MainLog> open_mainlog_or_report(const config::Config& config) {
    auto mainlog = log::MainLog::open(config.server.log_dir / "mainlog");
    if (!mainlog) {
        fmt::print(stderr, "herald: {}\n", mainlog.error());
        return nullptr;
    }
    return std::move(*mainlog);
}

// An action on one message: through the running server if there is one, else on the spool.
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
        if (auto done = without_server(verb)) return *done;
        auto mainlog = open_mainlog_or_report(*config);
        if (!mainlog) return kExitFailure;
        spool::Spool spool(config->server.spool_dir);
        if (auto st = act_offline(spool, *mainlog, verb, id); !st) {
            fmt::print(stderr, "herald: queue {}: {}\n", verb, st.error());
            return kExitFailure;
        }
        fmt::print("ok {} {}\n", verb, id);
        return kExitOk;
    }
    bool ok = reply->starts_with("ok");
    fmt::print(ok ? stdout : stderr, "{}\n", ok ? *reply : "herald: " + reply->substr(6));
    return ok ? kExitOk : kExitFailure;
}

// The messages touched on the spool itself, as QueueControl would touch them.
std::size_t act_offline_on_matching(const config::Config& config, log::MainLog& mainlog,
                                    std::string_view verb, const queue::QueueFilter& filter) {
    spool::Spool spool(config.server.spool_dir);
    const auto transport_of = queue::transport_names(config);
    const auto now = Clock::now();
    std::size_t touched = 0;
    for (const auto& id : spool.list()) {
        const auto message = spool.load(id);
        if (!message || !filter.matches(*message, now, transport_of)) continue;
        if (!queue::QueueControl::would_change(verb, *message)) continue;
        if (act_offline(spool, mainlog, verb, id)) ++touched;
    }
    mainlog.note(fmt::format("queue {} of the messages matching {}: {} touched", verb,
                             filter.empty() ? "*" : filter.to_text(), touched));
    return touched;
}

// An action on every message the filter matches (all of them for an empty one).
int act_on_matching(const config::Config& config, const std::string& verb,
                    const queue::QueueFilter& filter) {
    const std::string request =
        verb + std::string(queue::QueueControl::kMatchingSuffix) + " " +
        (filter.empty() ? std::string(queue::QueueControl::kEveryMessage) : filter.to_text());
    std::size_t touched = 0;
    if (auto reply = send_control_request(config.server.spool_dir / "control.sock", request)) {
        const std::string_view count =
            std::string_view(*reply).substr(std::min<std::size_t>(3, reply->size()));
        const auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), touched);
        if (!reply->starts_with("ok ") || ec != std::errc() || end != count.data() + count.size()) {
            fmt::print(stderr, "herald: queue {}: {}\n", verb, reply->substr(reply->find(' ') + 1));
            return kExitFailure;
        }
    } else {
        if (auto done = without_server(verb)) return *done;
        auto mainlog = open_mainlog_or_report(config);
        if (!mainlog) return kExitFailure;
        touched = act_offline_on_matching(config, *mainlog, verb, filter);
    }
    if (touched == 0) {
        fmt::print(stderr, "herald: queue {}: no message matches (nothing {})\n", verb,
                   past_tense(verb));
        return kExitFailure;
    }
    fmt::print("{} {}\n", past_tense(verb), plural(touched, "message"));
    return kExitOk;
}

struct ActionArgs {
    std::string id;
    QueueFilterOptions filter;
    bool all = false;
};

// One message, every message (--all) or those the filter options match; never a mix.
int act_as_asked(const GlobalOptions& global, const std::string& verb, const ActionArgs& args) {
    const bool by_filter = args.filter.any();
    if (!args.id.empty() && (by_filter || args.all)) {
        fmt::print(stderr, "herald: queue {}: give a message id, --all or filters, not both\n",
                   verb);
        return kExitUsage;
    }
    if (args.all && by_filter) {
        fmt::print(stderr, "herald: queue {}: --all takes no filter options\n", verb);
        return kExitUsage;
    }
    // A bare flush was always the whole queue; a bare delete is a slip, not a wish.
    if (!args.id.empty() || (verb == "flush" && !by_filter && !args.all)) {
        return act(global, verb, args.id);
    }
    if (!by_filter && !args.all) {
        fmt::print(stderr, "herald: queue {}: give a message id, --all or filter options\n", verb);
        return kExitUsage;
    }
    auto config = load_config_or_report(global.config);
    if (!config) return kExitUsage;
    auto filter = queue_filter_or_report(args.filter, *config, verb);
    if (!filter) return kExitUsage;
    return act_on_matching(*config, verb, *filter);
}

struct ShowArgs {
    std::string id;
    bool body = false;
};

// The message's lines in the logs, as `herald trace ID` finds them.
void print_trail(const config::Config& config, const std::string& id) {
    const auto scanned =
        log::trace_log_dir(config.server.log_dir,
                           log::TraceQuery{.kind = log::TraceQuery::Kind::message_id, .value = id});
    fmt::print("log:\n");
    for (const auto& line : scanned.lines) fmt::print("  {}\n", line.line);
    for (const auto& error : scanned.errors) fmt::print("  (could not read {})\n", error);
}

int show(const GlobalOptions& global, const ShowArgs& args) {
    const std::string& id = args.id;
    if (!spool::is_valid_message_id(id)) {
        fmt::print(stderr, "herald: queue show: '{}' is not a message id\n", id);
        return kExitUsage;
    }
    auto queue = open_queue(global);
    if (!queue) return kExitUsage;
    auto message = queue->spool.load(id);
    if (!message) {
        fmt::print(stderr, "herald: queue show: no message {} in the queue\n", id);
        return kExitFailure;
    }
    const auto& env = message->envelope;
    auto schedule = queue->spool.load_schedule(id);
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
    print_trail(queue->config, id);
    auto data = queue->spool.read_data(id);
    if (data) {
        const auto end = message::header_section_end(*data);
        fmt::print("\n{}", args.body ? *data : data->substr(0, end));
    }
    return kExitOk;
}

}  // namespace

int print_mail_queue(const GlobalOptions& global) {
    return list(global, ListArgs{});
}

void add_queue_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto* queue = app.add_subcommand("queue", "Inspect and steer the queue");
    queue->require_subcommand(1);

    auto* list_cmd = queue->add_subcommand("list", "One line per queued message, then the totals");
    auto list_args = std::make_shared<ListArgs>();
    list_cmd->add_flag("--json", list_args->json, "print a JSON array");
    add_queue_filter_options(*list_cmd, list_args->filter);
    list_cmd->callback([&global, &exit_code, list_args] { exit_code = list(global, *list_args); });

    auto* summary_cmd = queue->add_subcommand(
        "summary", "Pending recipients per destination domain (or transport) and age, as qshape");
    auto summary_args = std::make_shared<SummaryArgs>();
    summary_cmd->add_option("--by", summary_args->by, "group by domain (the default) or transport")
        ->check(CLI::IsMember({"domain", "transport"}));
    summary_cmd->add_flag("--json", summary_args->json, "print JSON");
    add_queue_filter_options(*summary_cmd, summary_args->filter);
    summary_cmd->callback(
        [&global, &exit_code, summary_args] { exit_code = summary(global, *summary_args); });

    auto show_args = std::make_shared<ShowArgs>();
    auto* show_cmd =
        queue->add_subcommand("show", "Envelope, state, log trail and headers of a message");
    show_cmd->add_option("id", show_args->id, "message id")->required();
    show_cmd->add_flag("--body", show_args->body, "print the body after the headers");
    show_cmd->callback([&global, &exit_code, show_args] { exit_code = show(global, *show_args); });

    for (auto [verb, help] :
         {std::pair{"flush", "Try deferred messages (all, one, or those matching) now"},
          std::pair{"delete", "Remove messages without a bounce"},
          std::pair{"hold", "Keep messages from being delivered"},
          std::pair{"release", "Let held messages be delivered again"},
          std::pair{"bounce", "Fail the pending recipients of messages"}}) {
        auto* cmd = queue->add_subcommand(verb, help);
        auto args = std::make_shared<ActionArgs>();
        cmd->add_option("id", args->id, "message id");
        cmd->add_flag("--all", args->all, "every message in the queue");
        add_queue_filter_options(*cmd, args->filter);
        cmd->callback([&global, &exit_code, args, verb = std::string(verb)] {
            exit_code = act_as_asked(global, verb, *args);
        });
    }
}

}  // namespace herald::cli
