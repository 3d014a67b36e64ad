#include "state/shared_rate_limits.hpp"

namespace herald::state {

namespace asio = boost::asio;

namespace {

// KEYS: one per rule. ARGV: each rule's window in ms, then its count. The theoretical arrival
// time (TAT) of each key is kept in ms, and expires when it no longer holds anything back.
// Returns 0 when counted, else the 1-based index of the first rule that is full.
const RedisScript kTake(R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local next_tats = {}
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[2 * i - 1])
  local count = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', key)) or now
  if tat < now then tat = now end
  local next_tat = tat + window / count
  if next_tat - window > now then return i end
  next_tats[i] = next_tat
end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, string.format('%.3f', next_tats[i]), 'PX',
             math.ceil(next_tats[i] - now) + 1000)
end
return 0
)lua");

}  // namespace

SharedRateLimits::SharedRateLimits(RedisLink& link, const config::Cluster& cluster,
                                   std::function<std::size_t()> nodes)
    : link_(link),
      prefix_(cluster.prefix + "rate:"),
      on_failure_(cluster.on_failure),
      nodes_(std::move(nodes)) {}

asio::awaitable<Result<std::optional<std::string>>> SharedRateLimits::take_shared(
    const std::vector<policy::RateLimiter::Charge>& charges) {
    std::vector<std::string> keys, args;
    for (const auto& charge : charges) {
        keys.push_back(prefix_ + charge.key);
        args.push_back(std::to_string(charge.window.count() * 1000));
        args.push_back(std::to_string(charge.count));
    }
    auto reply = co_await link_.run(kTake, std::move(keys), std::move(args));
    if (!reply) co_return Error{reply.error()};
    if (reply->type != RedisValue::Type::integer || reply->integer < 0 ||
        static_cast<std::size_t>(reply->integer) > charges.size()) {
        co_return Error{"an unexpected reply: " + describe(*reply)};
    }
    if (reply->integer == 0) co_return std::optional<std::string>();
    co_return std::optional<std::string>(charges[reply->integer - 1].refusal);
}

std::optional<std::string> SharedRateLimits::take_locally(const policy::RateLimiter& limiter,
                                                          const policy::RateSubject& subject) {
    ++fallbacks_;
    const std::size_t nodes = std::max<std::size_t>(nodes_(), 1);
    if (!local_ || local_from_ != &limiter || local_nodes_ != nodes) {
        local_ = std::make_unique<policy::RateLimiter>(limiter, nodes);
        local_from_ = &limiter;
        local_nodes_ = nodes;
    }
    const auto now = policy::RateLimiter::Clock::now();
    if (auto why = local_->over_limit(subject, now)) return why;
    local_->count(subject, now);
    return std::nullopt;
}

asio::awaitable<std::optional<smtp::Reply>> SharedRateLimits::settle(
    policy::SessionGate& gate, const policy::RateLimiter& limiter) {
    const policy::RateSubject subject = gate.pending_subject();
    // The subject's strings live in the gate until settle(): copy what the wait needs.
    const auto charges = limiter.charges(subject);
    if (charges.empty()) co_return gate.settle(std::nullopt);
    auto shared = co_await take_shared(charges);
    if (shared) co_return gate.settle(*shared);
    if (on_failure_ == config::Cluster::OnFailure::closed) {
        co_return gate.settle("limits cannot be counted now (the cluster's Redis is unreachable)");
    }
    co_return gate.settle(take_locally(limiter, gate.pending_subject()));
}

}  // namespace herald::state
