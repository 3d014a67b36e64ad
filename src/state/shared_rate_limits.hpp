#pragma once
// [[rate_limit]] counted by every node of a cluster together, in Redis (docs/cluster.md).
// One Lua script checks and counts all the rules a message falls under as one step, so two
// nodes never both take the last message of a limit. Each rule is a GCRA: a limit of N per
// window lets N through at once, then one every window/N; unlike fixed windows, no burst of
// 2N at a window's edge.
//
// While Redis cannot answer, [cluster] on_failure says what happens: "open" counts on this
// node alone with each limit divided by the nodes last seen; "closed" refuses (451) what a
// limit would count. Mail is never held up longer than one command's timeout.
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "policy/rate_limiter.hpp"
#include "policy/session_gate.hpp"
#include "state/redis_link.hpp"

namespace herald::state {

class SharedRateLimits {
  public:
    // `nodes`: how many nodes were last seen alive (heartbeats), for the fallback's shares.
    SharedRateLimits(RedisLink& link, const config::Cluster& cluster,
                     std::function<std::size_t()> nodes);

    // Counts the gate's pending message against `limiter`'s rules; the gate's answer.
    boost::asio::awaitable<std::optional<smtp::Reply>> settle(policy::SessionGate& gate,
                                                              const policy::RateLimiter& limiter);

    std::uint64_t fallbacks() const { return fallbacks_; }  // messages counted locally

  private:
    boost::asio::awaitable<Result<std::optional<std::string>>> take_shared(
        const std::vector<policy::RateLimiter::Charge>& charges);
    std::optional<std::string> take_locally(const policy::RateLimiter& limiter,
                                            const policy::RateSubject& subject);

    RedisLink& link_;
    std::string prefix_;
    config::Cluster::OnFailure on_failure_;
    std::function<std::size_t()> nodes_;
    // The fallback: built from the limiter and node count in force when Redis went away.
    std::unique_ptr<policy::RateLimiter> local_;
    const policy::RateLimiter* local_from_ = nullptr;
    std::size_t local_nodes_ = 0;
    std::uint64_t fallbacks_ = 0;
};

}  // namespace herald::state
