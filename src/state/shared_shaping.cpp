#include "state/shared_shaping.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "base/timestamp.hpp"
#include "state/hash_channel.hpp"

namespace herald::state {

namespace asio = boost::asio;
namespace json = boost::json;
using Clock = delivery::TrafficShaper::Clock;

namespace {

// KEYS: the hash. ARGV: the message, then the provider. Its fields go, and the others hear.
const RedisScript kReset(R"lua(
local prefix = ARGV[2] .. ' '
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(field, 1, #prefix) == prefix then redis.call('HDEL', KEYS[1], field) end
end
redis.call('PUBLISH', KEYS[1], ARGV[1])
return 1
)lua");

std::string field_of(const SharedReaction& reaction) {
    return reaction.provider + " " + reaction.source;
}

template <typename T>
bool read_number(const json::object& object, std::string_view key, T& out) {
    const auto* value = object.if_contains(key);
    if (!value || !value->is_number()) return false;
    boost::system::error_code ec;
    out = value->to_number<T>(ec);
    return !ec;
}

bool read_text(const json::object& object, std::string_view key, std::string& out) {
    const auto* value = object.if_contains(key);
    if (!value || !value->is_string()) return false;
    out = std::string(value->as_string());
    return true;
}

}  // namespace

std::string reaction_json(const SharedReaction& r, const std::string& node, std::int64_t at) {
    return json::serialize(json::object{{"node", node},
                                        {"at", at},
                                        {"source", r.source},
                                        {"provider", r.provider},
                                        {"rule", r.rule},
                                        {"rate", r.rate},
                                        {"ceiling", r.ceiling},
                                        {"connections", r.connections},
                                        {"connections_ceiling", r.connections_ceiling},
                                        {"suspended_until", unix_seconds(r.suspended_until)}});
}

std::optional<ReadReaction> read_reaction(std::string_view text) {
    boost::system::error_code ec;
    auto parsed = json::parse(text, ec);
    if (ec || !parsed.is_object()) return std::nullopt;
    const auto& o = parsed.as_object();
    ReadReaction read;
    SharedReaction& r = read.reaction;
    std::int64_t suspended_until = 0;
    if (!read_text(o, "node", read.node) || !read_number(o, "at", read.at) ||
        !read_text(o, "source", r.source) || !read_text(o, "provider", r.provider) ||
        !read_text(o, "rule", r.rule) || !read_number(o, "rate", r.rate) ||
        !read_number(o, "ceiling", r.ceiling) || !read_number(o, "connections", r.connections) ||
        !read_number(o, "connections_ceiling", r.connections_ceiling) ||
        !read_number(o, "suspended_until", suspended_until) || r.rate < 0 || r.ceiling < 0) {
        return std::nullopt;
    }
    r.suspended_until = from_unix_seconds(suspended_until);
    return read;
}

SharedShaping::SharedShaping(RedisLink& link, const config::Cluster& cluster,
                             delivery::TrafficShaper& shaper, std::chrono::seconds quiet_period,
                             std::function<void(const std::string&)> reset)
    : link_(link),
      node_(cluster.node),
      hash_(cluster.prefix + "shaping"),
      shaper_(shaper),
      quiet_period_(quiet_period),
      reset_(std::move(reset)) {
    link_.subscribe(hash_, [this](std::string_view message) { receive(message); });
    link_.on_up([this] { return catch_up(); });
}

void SharedShaping::share(const SharedReaction& reaction) {
    asio::co_spawn(link_.executor(), send(reaction), asio::detached);
}

void SharedShaping::share_reset(const std::string& provider) {
    asio::co_spawn(link_.executor(), send_reset(provider), asio::detached);
}

// A reaction Redis cannot take now stays this node's: a back-off is no state to lose.
asio::awaitable<void> SharedShaping::send(SharedReaction reaction) {
    auto connection = link_.connection();
    if (!connection) co_return;
    const std::string value = reaction_json(reaction, node_, unix_seconds_now());
    const HashFields fields{{field_of(reaction), value}};
    (void)co_await write_and_publish(*connection, hash_, value, fields);
}

asio::awaitable<void> SharedShaping::send_reset(std::string provider) {
    const std::string message = json::serialize(json::object{{"node", node_}, {"reset", provider}});
    std::vector<std::string> keys{hash_};
    std::vector<std::string> args{message, provider};
    (void)co_await link_.run(kReset, std::move(keys), std::move(args));
}

void SharedShaping::receive(std::string_view message) {
    boost::system::error_code ec;
    auto parsed = json::parse(message, ec);
    if (ec || !parsed.is_object()) return;
    const auto& object = parsed.as_object();
    std::string node, provider;
    if (!read_text(object, "node", node) || node == node_) return;
    if (read_text(object, "reset", provider)) {
        reset_(provider);
        return;
    }
    if (auto read = read_reaction(message)) shaper_.adopt(read->reaction, read->node, Clock::now());
}

bool SharedShaping::in_force(const ReadReaction& read, std::int64_t now) const {
    return unix_seconds(read.reaction.suspended_until) > now ||
           read.at + quiet_period_.count() > now;
}

asio::awaitable<void> SharedShaping::catch_up() {
    std::vector<std::string> hgetall{"HGETALL", hash_};
    auto reply = co_await link_.command(std::move(hgetall));
    if (!reply) co_return;
    const std::int64_t now = unix_seconds_now();
    for (std::size_t i = 1; i < reply->elements.size(); i += 2) {
        auto read = read_reaction(reply->elements[i].text);
        if (read && read->node != node_ && in_force(*read, now)) {
            shaper_.adopt(read->reaction, read->node, Clock::now());
        }
    }
}

}  // namespace herald::state
