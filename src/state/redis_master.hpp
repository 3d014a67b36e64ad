#pragma once
// The Redis a node writes to: the URL's host, or the master a Redis Sentinel set names. The
// sentinels are asked in order, as Redis' guide for Sentinel clients says: the first that
// answers names the master (SENTINEL get-master-addr-by-name), and the master must then call
// itself one (ROLE), since a failover may be under way. After a failover the sentinels close
// the old master's connections (CLIENT KILL), so a node's link reopens and asks again.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <memory>

#include "base/result.hpp"
#include "state/redis_connection.hpp"

namespace herald::state {

// A connection to the master, logged in; its settings() name the address it reached.
boost::asio::awaitable<Result<std::shared_ptr<RedisConnection>>> open_master(
    boost::asio::any_io_executor executor, const RedisSettings& settings,
    RedisConnection::Push on_push = {});

}  // namespace herald::state
