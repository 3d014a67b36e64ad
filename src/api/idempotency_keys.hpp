#pragma once
// The Idempotency-Key answers of a node, or of a cluster (docs/cluster.md): the node's own
// journal (api/idempotency_store.hpp) always, and with [cluster] a copy in Redis too, so that
// a client whose retry reaches another node gets the first answer there as well. A claim is
// taken locally first (a retry on the same node never waits on the network), then in Redis
// with SET NX; an answer goes to the journal, durably, then to Redis with the same 24 h. While
// Redis cannot answer, each node answers from its own journal alone: a retry that lands on
// another node then may send again, and that is the only thing the outage costs.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>
#include <string_view>

#include "api/idempotency_store.hpp"
#include "base/blocking_pool.hpp"
#include "config/config.hpp"
#include "state/redis_link.hpp"

namespace herald::api {

class IdempotencyKeys {
  public:
    using Claimed = IdempotencyStore::Claimed;
    using Answer = IdempotencyStore::Answer;

    // `link` null: no cluster.
    IdempotencyKeys(IdempotencyStore& local, BlockingPool& pool, state::RedisLink* link,
                    const config::Cluster& cluster, std::chrono::seconds ttl);

    boost::asio::awaitable<Claimed> claim(std::string scope, std::string key,
                                          std::string request_hash);
    // False when the answer could not be kept durably here (the claim is then abandoned).
    boost::asio::awaitable<bool> complete(std::string scope, std::string key, Answer answer);
    boost::asio::awaitable<void> abandon(std::string scope, std::string key);

  private:
    std::string redis_key(std::string_view scope, std::string_view key) const;

    IdempotencyStore& local_;
    BlockingPool& pool_;
    state::RedisLink* link_;
    std::string prefix_;
    std::chrono::seconds ttl_;
};

}  // namespace herald::api
