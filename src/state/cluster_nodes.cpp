#include "state/cluster_nodes.hpp"

#include "base/timestamp.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <boost/json/object.hpp>

#include <charconv>
#include <chrono>

namespace herald::state {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::chrono::seconds kBeatEvery{2};

// KEYS: the node's hash, the set of nodes. ARGV: name, field/value pairs, then kAliveFor.
// Returns how many nodes beat within kAliveFor seconds.
const RedisScript kBeat(R"lua(
local now = tonumber(redis.call('TIME')[1])
local fields = {'seen', tostring(now)}
for i = 2, #ARGV - 1 do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('EXPIRE', KEYS[1], 3600)
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - 3600)
return redis.call('ZCOUNT', KEYS[2], now - tonumber(ARGV[#ARGV]), '+inf')
)lua");

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

template <typename T>
T number(const std::string& text) {
    T value{};
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
}

}  // namespace

ClusterNodes::ClusterNodes(asio::any_io_executor executor, RedisLink& link,
                           const config::Cluster& cluster, std::function<NodeReport()> report)
    : executor_(executor),
      link_(link),
      prefix_(cluster.prefix),
      name_(cluster.node),
      report_(std::move(report)),
      started_(now_seconds()),
      timer_(executor) {}

void ClusterNodes::start() {
    asio::co_spawn(executor_, beat(), asio::detached);
}

void ClusterNodes::stop() {
    stopped_ = true;
    timer_.cancel();
}

asio::awaitable<void> ClusterNodes::beat() {
    while (!stopped_) {
        if (link_.up()) {
            const NodeReport report = report_();
            std::vector<std::string> keys{prefix_ + "node:" + name_, prefix_ + "nodes"};
            std::vector<std::string> args{name_,
                                          "queued",
                                          std::to_string(report.queued),
                                          "version",
                                          report.version,
                                          "started",
                                          std::to_string(started_),
                                          "redis",
                                          "up",
                                          std::to_string(kAliveFor)};
            auto reply = co_await link_.run(kBeat, std::move(keys), std::move(args));
            if (reply && reply->type == RedisValue::Type::integer && reply->integer > 0) {
                alive_ = static_cast<std::size_t>(reply->integer);
            }
        }
        timer_.expires_after(kBeatEvery);
        co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

json::array nodes_json(const std::vector<NodeStatus>& nodes, std::int64_t now) {
    const auto time = [](std::int64_t seconds) {
        return iso8601_utc(std::chrono::system_clock::time_point(std::chrono::seconds(seconds)));
    };
    json::array out;
    for (const auto& node : nodes) {
        out.push_back(json::object{{"node", node.name},
                                   {"alive", now - node.seen <= kAliveFor},
                                   {"last_seen", time(node.seen)},
                                   {"queued", node.queued},
                                   {"version", node.version},
                                   {"started", time(node.started)}});
    }
    return out;
}

asio::awaitable<Result<std::vector<NodeStatus>>> read_nodes(RedisConnection& redis,
                                                            const std::string& prefix) {
    std::vector<std::string> range{"ZRANGE", prefix + "nodes", "0", "-1"};
    auto names = co_await redis.command(std::move(range));
    if (!names) co_return Error{names.error()};
    if (names->is_error()) co_return Error{names->text};
    std::vector<NodeStatus> nodes;
    for (const auto& name : names->elements) {
        std::vector<std::string> hgetall{"HGETALL", prefix + "node:" + name.text};
        auto fields = co_await redis.command(std::move(hgetall));
        if (!fields) co_return Error{fields.error()};
        NodeStatus node{.name = name.text};
        for (std::size_t i = 0; i + 1 < fields->elements.size(); i += 2) {
            const std::string& key = fields->elements[i].text;
            const std::string& value = fields->elements[i + 1].text;
            if (key == "seen") node.seen = number<std::int64_t>(value);
            if (key == "queued") node.queued = number<std::uint64_t>(value);
            if (key == "version") node.version = value;
            if (key == "started") node.started = number<std::int64_t>(value);
            if (key == "redis") node.redis = value;
        }
        nodes.push_back(std::move(node));
    }
    co_return nodes;
}

}  // namespace herald::state
