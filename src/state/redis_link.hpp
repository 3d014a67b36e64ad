#pragma once
// A node's link to Redis: one connection for commands and one for what other nodes publish,
// kept open, reopened with back-off (0.25 s doubling to 10 s) when Redis goes away, and
// checked with a PING every second so that a Redis that stopped answering is noticed before
// mail waits on it. Each change between up and down is told (a mainlog line, a metric).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "state/redis_connection.hpp"
#include "state/redis_script.hpp"

namespace herald::state {

class RedisLink {
  public:
    using Note = std::function<void(const std::string&)>;
    using Message = std::function<void(std::string_view)>;
    using Reconnected = std::function<boost::asio::awaitable<void>()>;

    RedisLink(boost::asio::any_io_executor executor, RedisSettings settings, Note note);

    // Subscriptions and hooks are given before start().
    void subscribe(std::string channel, Message on_message);
    // Run each time the link comes up (a Redis restarted empty is refilled from here).
    void on_up(Reconnected hook);
    void start();
    void stop();

    bool up() const { return up_; }
    std::uint64_t state_changes() const { return state_changes_; }
    const RedisSettings& settings() const { return settings_; }
    // With sentinels, the master (host:port) the link reached last; a failover changes it.
    std::string master() const;
    boost::asio::any_io_executor executor() const { return executor_; }

    // Errors at once while the link is down: a caller falls back rather than wait.
    boost::asio::awaitable<Result<RedisValue>> command(std::vector<std::string> args);
    // The command connection while the link is up; null otherwise.
    std::shared_ptr<RedisConnection> connection() const { return up_ ? commands_ : nullptr; }
    // RedisConnection::run() on the link's connection.
    boost::asio::awaitable<Result<RedisValue>> run(const RedisScript& script,
                                                   std::vector<std::string> keys,
                                                   std::vector<std::string> args);

  private:
    boost::asio::awaitable<void> keep_open();
    boost::asio::awaitable<Status> open_both();
    boost::asio::awaitable<std::string> watch();
    void set_up(bool up, const std::string& why);

    boost::asio::any_io_executor executor_;
    RedisSettings settings_;
    Note note_;
    std::map<std::string, Message> channels_;
    std::vector<Reconnected> hooks_;
    std::shared_ptr<RedisConnection> commands_;
    std::shared_ptr<RedisConnection> subscriber_;
    bool up_ = false;
    bool told_ = false;  // the first state was told
    bool stopped_ = false;
    std::uint64_t state_changes_ = 0;
    boost::asio::steady_timer wake_;
};

}  // namespace herald::state
