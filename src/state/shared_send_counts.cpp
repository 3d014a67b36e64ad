#include "state/shared_send_counts.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <charconv>
#include <chrono>
#include <map>
#include <optional>

namespace herald::state {

namespace asio = boost::asio;
using SentCount = delivery::TrafficShaper::SentCount;

namespace {

constexpr std::chrono::seconds kExchangeEvery{2};

// KEYS: the day's hash, the hash of who sent lately. ARGV: the node, kSharingFor, then
// "<source> <provider>"/count pairs. Returns the day's hash once added to, and for each pair
// that nodes sent on within kSharingFor seconds, how many did ("<source> <provider>", n, ...).
const RedisScript kAddAndRead(R"lua(
local now = tonumber(redis.call('TIME')[1])
for i = 3, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
  redis.call('HSET', KEYS[2], ARGV[i] .. ' ' .. ARGV[1], now)
end
redis.call('EXPIRE', KEYS[1], 3 * 86400)
local nodes = {}
local senders = redis.call('HGETALL', KEYS[2])
for i = 1, #senders, 2 do
  local at = tonumber(senders[i + 1]) or 0
  if at < now - 3600 then
    redis.call('HDEL', KEYS[2], senders[i])
  elseif at >= now - tonumber(ARGV[2]) then
    local pair = string.match(senders[i], '^(%S+ %S+) ')
    if pair then nodes[pair] = (nodes[pair] or 0) + 1 end
  end
end
local sharing = {}
for pair, n in pairs(nodes) do
  sharing[#sharing + 1] = pair
  sharing[#sharing + 1] = n
end
return {redis.call('HGETALL', KEYS[1]), sharing}
)lua");

// A node that sent from an address to a provider within this long shares its limits.
constexpr std::chrono::seconds kSharingFor{60};

// KEYS: the first days' hash. ARGV: address/day pairs; an earlier day replaces a later one.
const RedisScript kEarliest(R"lua(
for i = 1, #ARGV, 2 do
  local known = tonumber(redis.call('HGET', KEYS[1], ARGV[i]))
  if not known or tonumber(ARGV[i + 1]) < known then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
return redis.call('HGETALL', KEYS[1])
)lua");

std::int64_t today() {
    return std::chrono::duration_cast<std::chrono::days>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// "<source> <provider>"
std::optional<delivery::TrafficShaper::Key> read_pair(const std::string& field) {
    const auto space = field.find(' ');
    if (space == std::string::npos) return std::nullopt;
    return delivery::TrafficShaper::Key{field.substr(0, space), field.substr(space + 1)};
}

template <typename T>
bool read_number(const std::string& text, T& out) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc{} && end == text.data() + text.size();
}

}  // namespace

SharedSendCounts::SharedSendCounts(asio::any_io_executor executor, RedisLink& link,
                                   const config::Cluster& cluster, delivery::TrafficShaper& shaper)
    : link_(link),
      node_(cluster.node),
      prefix_(cluster.prefix),
      shaper_(shaper),
      timer_(executor) {}

void SharedSendCounts::start() {
    asio::co_spawn(timer_.get_executor(), exchange_now_and_then(), asio::detached);
}

void SharedSendCounts::stop() {
    stopped_ = true;
    timer_.cancel();
}

asio::awaitable<void> SharedSendCounts::exchange_now_and_then() {
    while (!stopped_) {
        if (link_.up()) {
            (void)co_await exchange_counts();
            (void)co_await exchange_first_days();
        }
        timer_.expires_after(kExchangeEvery);
        co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

// "<source> <provider>" of today's hash.
asio::awaitable<Status> SharedSendCounts::exchange_counts() {
    const std::int64_t day = today();
    std::vector<std::string> args{node_, std::to_string(kSharingFor.count())};
    std::vector<SentCount> unsent;
    for (auto& count : shaper_.take_unshared()) {
        if (count.day != day) continue;  // a day that is over: its caps no longer matter
        args.push_back(count.source + " " + count.provider);
        args.push_back(std::to_string(count.sent));
        unsent.push_back(std::move(count));
    }
    std::vector<std::string> keys{prefix_ + "sent:" + std::to_string(day), prefix_ + "senders"};
    auto reply = co_await link_.run(kAddAndRead, std::move(keys), std::move(args));
    if (!reply || reply->is_error() || reply->elements.size() != 2) {
        for (const auto& count : unsent) shaper_.untold(count);  // told next time
        co_return Error{!reply ? reply.error() : describe(*reply)};
    }
    const auto& totals = reply->elements[0].elements;
    for (std::size_t i = 0; i + 1 < totals.size(); i += 2) {
        auto pair = read_pair(totals[i].text);
        std::size_t sent = 0;
        if (!pair || !read_number(totals[i + 1].text, sent)) continue;
        shaper_.adopt_sent(
            {.source = pair->first, .provider = pair->second, .day = day, .sent = sent});
    }
    std::map<delivery::TrafficShaper::Key, std::size_t> sharers;
    const auto& sharing = reply->elements[1].elements;
    for (std::size_t i = 0; i + 1 < sharing.size(); i += 2) {
        if (auto pair = read_pair(sharing[i].text)) {
            sharers[*pair] = static_cast<std::size_t>(std::max(sharing[i + 1].integer, 1LL));
        }
    }
    shaper_.set_sharers(sharers);
    co_return ok_status();
}

asio::awaitable<Status> SharedSendCounts::exchange_first_days() {
    std::vector<std::string> args;
    for (const auto& [source, day] : shaper_.first_days()) {
        args.push_back(source);
        args.push_back(std::to_string(day));
    }
    std::vector<std::string> keys{prefix_ + "first_day"};
    auto reply = co_await link_.run(kEarliest, std::move(keys), std::move(args));
    if (!reply || reply->is_error()) co_return Error{reply ? reply->text : reply.error()};
    for (std::size_t i = 0; i + 1 < reply->elements.size(); i += 2) {
        std::int64_t day = 0;
        if (read_number(reply->elements[i + 1].text, day)) {
            shaper_.adopt_first_day(reply->elements[i].text, day);
        }
    }
    co_return ok_status();
}

}  // namespace herald::state
