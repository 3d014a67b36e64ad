#pragma once
// The suppression lists of a cluster (docs/cluster.md). Redis holds the shared truth: one hash,
// a field per entry ("<scope> <address>"), whose value is the entry or, once removed, a
// tombstone with the time of the removal. Each node keeps its own SQLite list as a cache that
// every check reads (no network on the path of a RCPT), and changes reach the others at once
// through a channel: an entry added on one node is refused by the others within a moment.
//
// When the link comes up (at start, after an outage, after a Redis that lost its data came
// back) the node merges: its entries that Redis lacks are written there, so an empty Redis
// is refilled; entries Redis has that the node lacks are taken; an entry whose tombstone is
// newer than it is removed. Removals made while Redis was unreachable are kept until then, so
// that the merge does not bring them back.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <functional>
#include <string>
#include <vector>

#include "base/blocking_pool.hpp"
#include "config/config.hpp"
#include "state/hash_channel.hpp"
#include "state/redis_connection.hpp"
#include "state/redis_link.hpp"
#include "suppression/suppression_list.hpp"

namespace herald::state {

// How a change is written to Redis: a hash field and its value. Pure, so that the CLI shares
// what it changes the way a node does.
struct SharedChange {
    std::string field;  // "<scope> <address>"
    std::string value;  // JSON: the entry, or {"removed": <unix seconds>}
};
SharedChange shared_change(const suppression::SuppressionList::Change& change, std::int64_t now);
// The change a hash field describes; nullopt for what no node wrote.
std::optional<suppression::SuppressionList::Change> read_change(std::string_view field,
                                                                std::string_view value);
// What the other nodes are told: {"node": ..., "changes": [{"field": ..., "value": ...}]}.
std::string change_message(const std::string& node, const std::vector<SharedChange>& changes);
// The changes of a message that another node sent; none for this node's own or garbage.
std::vector<suppression::SuppressionList::Change> read_message(std::string_view message,
                                                               const std::string& this_node);

// Asks node `node` to merge with Redis now (`herald suppress import`, which adds entries to
// that node's list without telling anyone: the merge writes them to Redis and tells the
// others). Whether a message is such a request for `this_node`.
std::string merge_request(const std::string& node);
bool asks_to_merge(std::string_view message, const std::string& this_node);
boost::asio::awaitable<Status> request_merge(RedisConnection& redis,
                                             const config::Cluster& cluster);

// Writes `change` to the hash and publishes it, in one step (for the CLI's own connection).
boost::asio::awaitable<Status> publish_change(RedisConnection& redis,
                                              const config::Cluster& cluster,
                                              const suppression::SuppressionList::Change& change);

class SharedSuppressions {
  public:
    using Note = std::function<void(const std::string&)>;
    // Subscribes through `link` and merges each time it comes up: give it before link.start().
    SharedSuppressions(RedisLink& link, const config::Cluster& cluster,
                       suppression::SuppressionList& list, BlockingPool& pool, Note note);

    // A change made on this node (the list's observer, on the event loop).
    void share(const suppression::SuppressionList::Change& change);

  private:
    boost::asio::awaitable<void> send(suppression::SuppressionList::Change change);
    boost::asio::awaitable<Status> write(const std::vector<SharedChange>& changes);
    void receive(std::string_view message);
    boost::asio::awaitable<void> merge();
    boost::asio::awaitable<Status> push_missing(std::size_t& sent, std::size_t& dropped);
    boost::asio::awaitable<Status> pull_missing(std::size_t& taken);

    RedisLink& link_;
    std::string node_;
    std::string hash_;
    suppression::SuppressionList& list_;
    BlockingPool& pool_;
    Note note_;
    std::vector<suppression::SuppressionList::Change> unsent_removals_;
};

}  // namespace herald::state
