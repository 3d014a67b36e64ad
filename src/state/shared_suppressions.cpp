#include "state/shared_suppressions.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>

#include "base/timestamp.hpp"

namespace herald::state {

namespace asio = boost::asio;
namespace json = boost::json;
using Change = suppression::SuppressionList::Change;

namespace {

constexpr std::size_t kPage = 500;

std::string hash_of(const config::Cluster& cluster) {
    return cluster.prefix + "suppression";
}

std::string field_of(const suppression::Entry& entry) {
    return entry.scope + " " + entry.address;
}

// The removal time of a tombstone; nullopt for an entry.
std::optional<std::int64_t> removed_at(std::string_view value) {
    boost::system::error_code ec;
    auto parsed = json::parse(value, ec);
    if (ec || !parsed.is_object()) return std::nullopt;
    const auto* removed = parsed.as_object().if_contains("removed");
    if (!removed || !removed->is_int64()) return std::nullopt;
    return removed->as_int64();
}

}  // namespace

SharedChange shared_change(const Change& change, std::int64_t now) {
    SharedChange out{.field = field_of(change.entry)};
    if (change.removed) {
        out.value = json::serialize(json::object{{"removed", now}});
    } else {
        out.value = json::serialize(json::object{{"reason", change.entry.reason},
                                                 {"source", change.entry.source},
                                                 {"created", change.entry.created}});
    }
    return out;
}

std::string change_message(const std::string& node, const std::vector<SharedChange>& changes) {
    json::array list;
    for (const auto& change : changes) {
        list.push_back(json::object{{"field", change.field}, {"value", change.value}});
    }
    return json::serialize(json::object{{"node", node}, {"changes", std::move(list)}});
}

std::vector<Change> read_message(std::string_view message, const std::string& this_node) {
    std::vector<Change> out;
    boost::system::error_code ec;
    auto parsed = json::parse(message, ec);
    if (ec || !parsed.is_object()) return out;
    const auto& object = parsed.as_object();
    const auto* node = object.if_contains("node");
    const auto* changes = object.if_contains("changes");
    if (!node || !node->is_string() || node->as_string() == this_node || !changes ||
        !changes->is_array()) {
        return out;
    }
    for (const auto& item : changes->as_array()) {
        if (!item.is_object()) continue;
        const auto* field = item.as_object().if_contains("field");
        const auto* value = item.as_object().if_contains("value");
        if (!field || !field->is_string() || !value || !value->is_string()) continue;
        if (auto change = read_change(field->as_string(), value->as_string())) {
            out.push_back(std::move(*change));
        }
    }
    return out;
}

std::optional<Change> read_change(std::string_view field, std::string_view value) {
    const auto space = field.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    Change change{.entry = {.address = std::string(field.substr(space + 1)),
                            .scope = std::string(field.substr(0, space))}};
    boost::system::error_code ec;
    auto parsed = json::parse(value, ec);
    if (ec || !parsed.is_object()) return std::nullopt;
    const auto& object = parsed.as_object();
    if (object.contains("removed")) {
        change.removed = true;
        return change;
    }
    const auto* reason = object.if_contains("reason");
    const auto* source = object.if_contains("source");
    const auto* created = object.if_contains("created");
    if (!reason || !reason->is_string() || !source || !source->is_string() || !created ||
        !created->is_int64()) {
        return std::nullopt;
    }
    change.entry.reason = std::string(reason->as_string());
    change.entry.source = std::string(source->as_string());
    change.entry.created = created->as_int64();
    return change;
}

namespace {

// The changes into the hash and the message to its channel.
asio::awaitable<Status> write_changes(RedisConnection& redis, const std::string& hash,
                                      const std::string& node,
                                      const std::vector<SharedChange>& changes) {
    HashFields fields;
    for (const auto& change : changes) fields.emplace_back(change.field, change.value);
    co_return co_await write_and_publish(redis, hash, change_message(node, changes), fields);
}

}  // namespace

std::string merge_request(const std::string& node) {
    return json::serialize(json::object{{"merge", node}});
}

bool asks_to_merge(std::string_view message, const std::string& this_node) {
    boost::system::error_code ec;
    auto parsed = json::parse(message, ec);
    if (ec || !parsed.is_object()) return false;
    const auto* node = parsed.as_object().if_contains("merge");
    return node && node->is_string() && node->as_string() == this_node;
}

asio::awaitable<Status> request_merge(RedisConnection& redis, const config::Cluster& cluster) {
    std::vector<std::string> publish{"PUBLISH", hash_of(cluster), merge_request(cluster.node)};
    auto reply = co_await redis.command(std::move(publish));
    if (!reply) co_return Error{reply.error()};
    if (reply->is_error()) co_return Error{"PUBLISH: " + reply->text};
    // A node of another name may be listening while this one is down: it then shares the
    // import when it starts, as its merge finds what Redis lacks.
    if (reply->integer == 0) {
        co_return Error{"no node is listening (is " + cluster.node + " running?)"};
    }
    co_return ok_status();
}

asio::awaitable<Status> publish_change(RedisConnection& redis, const config::Cluster& cluster,
                                       const Change& change) {
    const std::vector<SharedChange> changes{shared_change(change, unix_seconds_now())};
    co_return co_await write_changes(redis, hash_of(cluster), cluster.node, changes);
}

SharedSuppressions::SharedSuppressions(RedisLink& link, const config::Cluster& cluster,
                                       suppression::SuppressionList& list, BlockingPool& pool,
                                       Note note)
    : link_(link),
      node_(cluster.node),
      hash_(hash_of(cluster)),
      list_(list),
      pool_(pool),
      note_(std::move(note)) {
    // The hash's name is its channel's too.
    link_.subscribe(hash_, [this](std::string_view message) { receive(message); });
    link_.on_up([this] { return merge(); });
}

void SharedSuppressions::share(const Change& change) {
    asio::co_spawn(link_.executor(), send(change), asio::detached);
}

asio::awaitable<Status> SharedSuppressions::write(const std::vector<SharedChange>& changes) {
    auto connection = link_.connection();
    if (!connection) co_return Error{"Redis is unreachable"};
    co_return co_await write_changes(*connection, hash_, node_, changes);
}

asio::awaitable<void> SharedSuppressions::send(Change change) {
    const std::vector<SharedChange> changes{shared_change(change, unix_seconds_now())};
    auto written = co_await write(changes);
    // An entry not sent now is sent by the merge when the link is back; a removal would be
    // undone by it, so it is kept until then.
    if (!written && change.removed) unsent_removals_.push_back(change);
}

void SharedSuppressions::receive(std::string_view message) {
    if (asks_to_merge(message, node_)) {
        asio::co_spawn(link_.executor(), merge(), asio::detached);
        return;
    }
    auto changes = read_message(message, node_);
    if (changes.empty()) return;
    asio::co_spawn(
        link_.executor(),
        [this, changes = std::move(changes)]() -> asio::awaitable<void> {
            auto failed = co_await pool_.run([this, &changes] {
                std::string why;
                for (const auto& change : changes) {
                    if (auto taken = list_.take(change); !taken) why = taken.error();
                }
                return why;
            });
            if (!failed.empty()) note_("cluster: a suppression from another node: " + failed);
        },
        asio::detached);
}

// Local entries Redis lacks are written there; local entries with a newer tombstone go.
asio::awaitable<Status> SharedSuppressions::push_missing(std::size_t& sent, std::size_t& dropped) {
    std::string after;
    while (true) {
        auto page = co_await pool_.run([this, &after] { return list_.list("", after, kPage); });
        if (!page) co_return Error{page.error()};
        if (page->empty()) co_return ok_status();
        after = page->back().address;
        std::vector<std::string> hmget{"HMGET", hash_};
        for (const auto& entry : *page) hmget.push_back(field_of(entry));
        auto values = co_await link_.command(std::move(hmget));
        if (!values) co_return Error{values.error()};
        if (values->elements.size() != page->size()) co_return Error{"HMGET: " + describe(*values)};
        std::vector<SharedChange> missing;
        std::vector<Change> gone;
        for (std::size_t i = 0; i < page->size(); ++i) {
            const auto& entry = (*page)[i];
            const auto& value = values->elements[i];
            if (value.is_nil()) {
                missing.push_back(shared_change({.entry = entry}, 0));
            } else if (auto removed = removed_at(value.text);
                       removed && *removed >= entry.created) {
                gone.push_back({.removed = true, .entry = entry});
            }
        }
        // Published too: a node that merged before this one came up learns of them now.
        if (!missing.empty()) {
            sent += missing.size();
            if (auto written = co_await write(missing); !written) co_return written;
        }
        dropped += gone.size();
        co_await pool_.run([this, &gone] {
            for (const auto& change : gone) (void)list_.take(change);
        });
    }
}

// Entries Redis has and this node lacks are taken.
asio::awaitable<Status> SharedSuppressions::pull_missing(std::size_t& taken) {
    std::string cursor = "0";
    do {
        std::vector<std::string> hscan{"HSCAN", hash_, cursor, "COUNT", std::to_string(kPage)};
        auto reply = co_await link_.command(std::move(hscan));
        if (!reply) co_return Error{reply.error()};
        if (reply->elements.size() != 2) co_return Error{"HSCAN: " + describe(*reply)};
        cursor = reply->elements[0].text;
        std::vector<Change> changes;
        const auto& pairs = reply->elements[1].elements;
        for (std::size_t i = 0; i + 1 < pairs.size(); i += 2) {
            auto change = read_change(pairs[i].text, pairs[i + 1].text);
            if (change && !change->removed) changes.push_back(std::move(*change));
        }
        taken += co_await pool_.run([this, &changes] {
            std::size_t added = 0;
            for (const auto& change : changes) {
                auto stored = list_.take(change);
                if (stored && *stored) ++added;
            }
            return added;
        });
    } while (cursor != "0");
    co_return ok_status();
}

asio::awaitable<void> SharedSuppressions::merge() {
    for (auto removals = std::exchange(unsent_removals_, {}); auto& removal : removals) {
        co_await send(removal);
    }
    std::size_t sent = 0, dropped = 0, taken = 0;
    Status merged = co_await push_missing(sent, dropped);
    if (merged) merged = co_await pull_missing(taken);
    if (!merged) {
        note_("cluster: suppressions not merged with Redis (" + merged.error() +
              "); the next connection tries again");
        co_return;
    }
    if (sent + dropped + taken > 0) {
        note_("cluster: suppressions merged with Redis: " + std::to_string(sent) + " sent, " +
              std::to_string(taken) + " taken, " + std::to_string(dropped) + " removed");
    }
}

}  // namespace herald::state
