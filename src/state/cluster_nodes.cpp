#include "state/cluster_nodes.hpp"

#include "base/timestamp.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <boost/json/object.hpp>

#include <openssl/rand.h>

#include <array>
#include <charconv>
#include <chrono>

namespace herald::state {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::chrono::seconds kBeatEvery{2};

// KEYS: the node's hash, the set of nodes. ARGV: name, this process's instance, kAliveFor,
// then field/value pairs. Returns how many nodes beat within kAliveFor seconds, and 1 when
// another process wrote this node's hash within that time (two nodes with one name).
const RedisScript kBeat(R"lua(
local now = tonumber(redis.call('TIME')[1])
local alive_for = tonumber(ARGV[3])
local other = redis.call('HGET', KEYS[1], 'instance')
local last = tonumber(redis.call('HGET', KEYS[1], 'seen') or '0') or 0
local clash = 0
if other and other ~= ARGV[2] and now - last <= alive_for then clash = 1 end
local fields = {'seen', tostring(now), 'instance', ARGV[2]}
for i = 4, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('EXPIRE', KEYS[1], 3600)
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - 3600)
return {redis.call('ZCOUNT', KEYS[2], now - alive_for, '+inf'), clash}
)lua");

// Tells this process from another that has the same node name.
std::string random_instance() {
    std::array<unsigned char, 8> bytes{};
    RAND_bytes(bytes.data(), static_cast<int>(bytes.size()));
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char byte : bytes) {
        out += kHex[byte >> 4];
        out += kHex[byte & 15];
    }
    return out;
}

template <typename T>
T number(const std::string& text) {
    T value{};
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
}

}  // namespace

ClusterNodes::ClusterNodes(asio::any_io_executor executor, RedisLink& link,
                           const config::Cluster& cluster, std::function<NodeReport()> report,
                           std::function<void(const std::string&)> note)
    : executor_(executor),
      link_(link),
      prefix_(cluster.prefix),
      name_(cluster.node),
      instance_(random_instance()),
      report_(std::move(report)),
      note_(std::move(note)),
      started_(unix_seconds_now()),
      timer_(executor) {}

void ClusterNodes::start() {
    asio::co_spawn(executor_, beat(), asio::detached);
}

void ClusterNodes::stop() {
    stopped_ = true;
    timer_.cancel();
}

// Two beats in a row (one could be this node's own restart, whose old process wrote last):
// another running process has this node's name, and their shared state would be mixed up.
void ClusterNodes::check_name(bool clash) {
    clashes_ = clash ? clashes_ + 1 : 0;
    if (clashes_ == 2 || (clashes_ > 2 && clashes_ % 30 == 0)) {
        note_("cluster: another running node calls itself " + name_ +
              "; give each node its own [cluster] node, or they ignore each other's changes");
    }
}

asio::awaitable<void> ClusterNodes::beat() {
    while (!stopped_) {
        if (link_.up()) {
            const NodeReport report = report_();
            std::vector<std::string> keys{prefix_ + "node:" + name_, prefix_ + "nodes"};
            std::vector<std::string> args{name_,
                                          instance_,
                                          std::to_string(kAliveFor),
                                          "queued",
                                          std::to_string(report.queued),
                                          "version",
                                          report.version,
                                          "started",
                                          std::to_string(started_)};
            auto reply = co_await link_.run(kBeat, std::move(keys), std::move(args));
            if (reply && reply->elements.size() == 2) {
                alive_ = static_cast<std::size_t>(std::max(reply->elements[0].integer, 1LL));
                check_name(reply->elements[1].integer == 1);
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
        }
        nodes.push_back(std::move(node));
    }
    co_return nodes;
}

}  // namespace herald::state
