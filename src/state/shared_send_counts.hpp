#pragma once
// The daily limits and warm-up caps of a cluster (docs/cluster.md): every node sending from
// one address counts against the same day's cap for each provider. Every 2 s each node adds
// what its pairs sent meanwhile to a Redis hash of the day, reads back the cluster's totals
// and counts no fewer; the day a warming address first sent is the earliest any node saw.
// Between two exchanges the nodes may together send a little past a cap: what they send in
// 2 s, against a cap of hundreds or thousands a day.
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
    std::string prefix_;
    delivery::TrafficShaper& shaper_;
    bool stopped_ = false;
    boost::asio::steady_timer timer_;
};

}  // namespace herald::state
