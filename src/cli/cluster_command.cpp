#include "cli/cluster_command.hpp"

#include <fmt/core.h>
#include <boost/asio/io_context.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <memory>

#include "base/timestamp.hpp"
#include "cli/command_resolver.hpp"
#include "cli/config_loading.hpp"
#include "state/cluster_nodes.hpp"
#include "state/redis_master.hpp"
#include "state/redis_settings.hpp"
#include "state/shared_suppressions.hpp"

namespace herald::cli {

namespace {

namespace asio = boost::asio;
namespace json = boost::json;

// The nodes, or why they could not be read (a future needs a default-constructible value).
struct ClusterRead {
    std::vector<state::NodeStatus> nodes;
    std::string error;
};

asio::awaitable<ClusterRead> read_cluster(asio::io_context& io, state::RedisSettings settings,
                                          std::string prefix) {
    auto redis = co_await state::open_master(io.get_executor(), settings);
    if (!redis) co_return ClusterRead{.error = redis.error()};
    auto nodes = co_await state::read_nodes(**redis, prefix);
    (*redis)->close("done");
    if (!nodes) co_return ClusterRead{.error = nodes.error()};
    co_return ClusterRead{.nodes = std::move(*nodes)};
}

void print_table(const std::vector<state::NodeStatus>& nodes, std::int64_t now) {
    fmt::print("{:<24} {:<6} {:>10} {:>8}  {}\n", "node", "state", "last seen", "queued",
               "version");
    for (const auto& node : nodes) {
        const std::int64_t ago = std::max<std::int64_t>(now - node.seen, 0);
        fmt::print("{:<24} {:<6} {:>9}s {:>8}  {}\n", node.name,
                   ago <= state::kAliveFor ? "alive" : "gone", ago, node.queued, node.version);
    }
}

int show_status(const GlobalOptions& global, bool as_json) {
    auto config = load_config_or_report(global.config);
    if (!config) return kExitUsage;
    const config::Cluster& cluster = config->cluster;
    if (!cluster.redis) {
        fmt::print(stderr, "herald: {} has no [cluster]: this node runs alone\n",
                   global.config.string());
        return kExitUsage;
    }
    auto settings = state::redis_settings(cluster);
    if (!settings) {
        fmt::print(stderr, "herald: {}\n", settings.error());
        return kExitFailure;
    }
    asio::io_context io;
    auto read = run_to_completion(io, read_cluster(io, *settings, cluster.prefix));
    if (!read.error.empty()) {
        fmt::print(stderr, "herald: Redis {}: {}\n", cluster.redis->redacted(), read.error);
        return kExitFailure;
    }
    const auto* nodes = &read.nodes;
    const std::int64_t now = unix_seconds_now();
    if (as_json) {
        fmt::print("{}\n",
                   json::serialize(json::object{{"nodes", state::nodes_json(*nodes, now)}}));
    } else if (nodes->empty()) {
        fmt::print("no node has written to Redis {} yet\n", cluster.redis->redacted());
    } else {
        print_table(*nodes, now);
    }
    return kExitOk;
}

// Runs `step` on a connection of its own; why it failed, or "".
using RedisStep = std::function<asio::awaitable<Status>(state::RedisConnection&)>;

asio::awaitable<std::string> run_step(asio::io_context& io, state::RedisSettings settings,
                                      RedisStep step) {
    auto redis = co_await state::open_master(io.get_executor(), settings);
    if (!redis) co_return redis.error();
    auto done = co_await step(**redis);
    (*redis)->close("done");
    co_return done ? std::string() : done.error();
}

// `step` done now, or a warning that this machine's node does it when it next reaches Redis.
void tell_cluster(const config::Cluster& cluster, const RedisStep& step, const char* what) {
    auto settings = state::redis_settings(cluster);
    std::string why = settings ? std::string() : settings.error();
    if (settings) {
        asio::io_context io;
        why = run_to_completion(io, run_step(io, *settings, step));
    }
    if (!why.empty()) {
        fmt::print(stderr,
                   "herald: warning: {} not shared with the cluster now (Redis {}: {}); "
                   "this machine's node shares it when it next reaches Redis\n",
                   what, cluster.redis->redacted(), why);
    }
}

}  // namespace

void share_with_cluster(const config::Cluster& cluster, suppression::SuppressionList& list) {
    if (!cluster.redis) return;
    list.set_observer([cluster](const suppression::SuppressionList::Change& change) {
        tell_cluster(
            cluster,
            [&](state::RedisConnection& redis) {
                return state::publish_change(redis, cluster, change);
            },
            "the change is");
    });
}

void share_import_with_cluster(const config::Cluster& cluster) {
    if (!cluster.redis) return;
    tell_cluster(
        cluster,
        [&](state::RedisConnection& redis) { return state::request_merge(redis, cluster); },
        "what was imported is");
}

void add_cluster_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto* cluster = app.add_subcommand("cluster", "The nodes sharing state through Redis");
    cluster->require_subcommand(1);
    auto* status = cluster->add_subcommand("status", "Every node seen: state, queue, version");
    auto as_json = std::make_shared<bool>(false);
    status->add_flag("--json", *as_json, "one JSON object");
    status->callback([&global, &exit_code, as_json] { exit_code = show_status(global, *as_json); });
}

}  // namespace herald::cli
