#pragma once
// A provider's limits for an address, held by all the nodes of a cluster that send from it
// (docs/cluster.md). Every 2 s each node adds what its pairs sent meanwhile to a Redis hash of
// the day and reads back:
// - the cluster's totals, for the daily limits and warm-up caps, and counts no fewer;
// - how many nodes sent on each pair in the last minute: each takes that share of the
//   provider's configured rate and connections.
// The day a warming address first sent is the earliest any node saw. Between two exchanges
// the nodes may together go a little past a limit: what they send in 2 s.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <string>

#include "config/config.hpp"
#include "delivery/shaping/traffic_shaper.hpp"
#include "state/redis_link.hpp"

namespace herald::state {

class SharedSendCounts {
  public:
    SharedSendCounts(boost::asio::any_io_executor executor, RedisLink& link,
                     const config::Cluster& cluster, delivery::TrafficShaper& shaper);
    void start();
    void stop();

  private:
    boost::asio::awaitable<void> exchange_now_and_then();
    boost::asio::awaitable<Status> exchange_counts();
    boost::asio::awaitable<Status> exchange_first_days();

    RedisLink& link_;
    std::string node_;
    std::string prefix_;
    delivery::TrafficShaper& shaper_;
    bool stopped_ = false;
    boost::asio::steady_timer timer_;
};

}  // namespace herald::state
