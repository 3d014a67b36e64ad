#pragma once
// The shaping automation of a cluster (docs/cluster.md): when a provider's reply makes one node
// reduce its rate, cap its connections or suspend a (source address, provider) pair, the
// other nodes take the same back-off at once, so that a provider that said "slow down" to
// an address is not hit by the same address from another node. Nodes share the reactions
// through a channel, and the ones still in force through a hash, which a node reads when its
// link comes up. `herald shaping reset` on one node resets them all.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "delivery/shaping/traffic_shaper.hpp"
#include "state/redis_link.hpp"

namespace herald::state {

using SharedReaction = delivery::TrafficShaper::SharedReaction;

// A reaction as JSON (with the node that took it and when), and back; nullopt for JSON no
// node wrote.
std::string reaction_json(const SharedReaction& reaction, const std::string& node, std::int64_t at);
struct ReadReaction {
    SharedReaction reaction;
    std::string node;
    std::int64_t at = 0;
};
std::optional<ReadReaction> read_reaction(std::string_view json);

class SharedShaping {
  public:
    // Subscribes through `link` and catches up each time it comes up: give it before start().
    // `quiet_period`: [shaping]'s; a reduction older than that has relaxed a step already.
    // `reset`: what this node does for a reset another node was asked for.
    SharedShaping(RedisLink& link, const config::Cluster& cluster, delivery::TrafficShaper& shaper,
                  std::chrono::seconds quiet_period,
                  std::function<void(const std::string& provider)> reset);

    // On the event loop: a reaction of this node's shaper, and a reset asked of this node.
    void share(const SharedReaction& reaction);
    void share_reset(const std::string& provider);

  private:
    boost::asio::awaitable<void> send(SharedReaction reaction);
    boost::asio::awaitable<void> send_reset(std::string provider);
    void receive(std::string_view message);
    boost::asio::awaitable<void> catch_up();
    bool in_force(const ReadReaction& read, std::int64_t now) const;

    RedisLink& link_;
    std::string node_;
    std::string hash_;
    delivery::TrafficShaper& shaper_;
    std::chrono::seconds quiet_period_;
    std::function<void(const std::string&)> reset_;
};

}  // namespace herald::state
