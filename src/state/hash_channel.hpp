#pragma once
// What the nodes of a cluster share as a Redis hash of current state plus a channel of the
// same name that tells each change as it happens: fields written and the message published
// in one step, so no node can read the hash between them and miss both.
#include <boost/asio/awaitable.hpp>

#include <string>
#include <utility>
#include <vector>

#include "base/result.hpp"
#include "state/redis_connection.hpp"

namespace herald::state {

using HashFields = std::vector<std::pair<std::string, std::string>>;

boost::asio::awaitable<Status> write_and_publish(RedisConnection& redis, const std::string& hash,
                                                 const std::string& message,
                                                 const HashFields& fields);

}  // namespace herald::state
