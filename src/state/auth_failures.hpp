#pragma once
// AUTH failure throttling for the whole cluster (policy/auth_throttle.hpp says what it does on
// one node): a password guesser who spreads its tries over the nodes meets one count. The
// counts and lockouts live in Redis, keyed by address and by user name, counted and locked
// by one Lua step; while Redis cannot answer, or without [cluster], the node's own throttle
// counts, as it always did.
#include <boost/asio/awaitable.hpp>

#include <string>
#include <string_view>

#include "config/config.hpp"
#include "policy/auth_throttle.hpp"
#include "state/redis_link.hpp"

namespace herald::state {

class AuthFailures {
  public:
    // `link` null: this node alone.
    AuthFailures(policy::AuthThrottle& local, RedisLink* link, const config::Cluster& cluster);

    boost::asio::awaitable<bool> locked(std::string client_ip, std::string user);
    boost::asio::awaitable<policy::AuthThrottle::Failure> failed(std::string client_ip,
                                                                 std::string user);
    boost::asio::awaitable<void> succeeded(std::string client_ip);

    const policy::AuthThrottle& local() const { return local_; }

  private:
    std::string key(std::string_view kind, std::string_view name) const;

    policy::AuthThrottle& local_;
    RedisLink* link_;
    std::string prefix_;
};

}  // namespace herald::state
