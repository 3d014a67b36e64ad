#pragma once
// Which nodes are alive: each writes a heartbeat to Redis every 2 s (a hash that expires after
// 10 s, and its name in a sorted set by time), and reads back how many others did. The count
// divides the limits while Redis is out of reach; `herald cluster status` lists the hashes.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/array.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "state/redis_link.hpp"

namespace herald::state {

// What a node says of itself in its heartbeat.
struct NodeReport {
    std::uint64_t queued = 0;
    std::string version;
};

// One node as `herald cluster status` shows it.
struct NodeStatus {
    std::string name;
    std::int64_t seen = 0;  // unix seconds of its last heartbeat
    std::uint64_t queued = 0;
    std::string version;
    std::int64_t started = 0;
};

class ClusterNodes {
  public:
    // `note`: a mainlog line, when another running node has this node's name.
    ClusterNodes(boost::asio::any_io_executor executor, RedisLink& link,
                 const config::Cluster& cluster, std::function<NodeReport()> report,
                 std::function<void(const std::string&)> note);
    void start();
    void stop();

    // Alive at the last heartbeat, this one included; 1 before the first.
    std::size_t alive() const { return alive_; }
    const std::string& name() const { return name_; }

  private:
    boost::asio::awaitable<void> beat();
    void check_name(bool clash);

    boost::asio::any_io_executor executor_;
    RedisLink& link_;
    std::string prefix_;
    std::string name_;
    std::string instance_;
    std::function<NodeReport()> report_;
    std::function<void(const std::string&)> note_;
    int clashes_ = 0;  // beats in a row that found another process's heartbeat
    std::int64_t started_;
    std::size_t alive_ = 1;
    bool stopped_ = false;
    boost::asio::steady_timer timer_;
};

// A node without a heartbeat for this long is gone: shown so, and not counted.
constexpr std::int64_t kAliveFor = 10;

// The nodes as `herald cluster status --json` and GET /api/cluster show them: node, alive,
// last_seen, queued, version, started.
boost::json::array nodes_json(const std::vector<NodeStatus>& nodes, std::int64_t now);

// Every node that beat in the last hour, for `herald cluster status`.
boost::asio::awaitable<Result<std::vector<NodeStatus>>> read_nodes(RedisConnection& redis,
                                                                   const std::string& prefix);

}  // namespace herald::state
