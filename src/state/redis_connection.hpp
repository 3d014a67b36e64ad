#pragma once
// One connection to Redis (plain TCP, or TLS for rediss://): commands are pipelined in the
// order they are given, and each has a deadline. A command whose reply does not come in time
// closes the connection: a late reply would otherwise answer the next command, and a Redis
// that stopped (a partition, SIGSTOP) must cost each caller one timeout, not a hang.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "config/redis_url.hpp"
#include "state/redis_protocol.hpp"
#include "state/redis_script.hpp"

namespace herald::state {

struct RedisSettings {
    config::RedisUrl url;
    std::string sentinel_password;  // empty: the sentinels ask for none
    std::filesystem::path tls_ca;   // empty: the system's trust store
    std::chrono::milliseconds timeout{250};
};

class RedisConnection : public std::enable_shared_from_this<RedisConnection> {
  public:
    // A message published on a channel this connection subscribed to.
    using Push = std::function<void(const RedisValue&)>;

    // Connects, then TLS, AUTH and SELECT as the URL says. `on_push` makes it a subscriber
    // connection: messages go there, replies to the commands given.
    static boost::asio::awaitable<Result<std::shared_ptr<RedisConnection>>> open(
        boost::asio::any_io_executor executor, const RedisSettings& settings, Push on_push = {});

    // The reply (an error reply is a value too), or an Error when the connection is closed or
    // closes before the reply comes.
    boost::asio::awaitable<Result<RedisValue>> command(std::vector<std::string> args);
    // EVALSHA, and EVAL once when Redis does not know the script yet (a restart flushed it).
    boost::asio::awaitable<Result<RedisValue>> run(const RedisScript& script,
                                                   std::vector<std::string> keys,
                                                   std::vector<std::string> args);

    bool is_open() const { return open_; }
    const RedisSettings& settings() const { return settings_; }
    // Waits until the connection closes; why it did.
    boost::asio::awaitable<std::string> closed();
    void close(const std::string& why);

    RedisConnection(boost::asio::any_io_executor executor, const RedisSettings& settings,
                    std::shared_ptr<boost::asio::ssl::context> tls, Push on_push);

  private:
    struct Pending {
        explicit Pending(boost::asio::any_io_executor executor) : timer(executor) {}
        std::optional<Result<RedisValue>> result;
        boost::asio::steady_timer timer;
    };

    boost::asio::awaitable<Status> connect();
    boost::asio::awaitable<Status> log_in();
    boost::asio::awaitable<void> read_replies();
    boost::asio::awaitable<void> write_out();
    void take(RedisValue value);

    boost::asio::any_io_executor executor_;
    RedisSettings settings_;
    std::shared_ptr<boost::asio::ssl::context> tls_context_;
    boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream_;
    Push on_push_;
    RedisReplyReader reader_;
    std::deque<std::shared_ptr<Pending>> pending_;
    std::string out_;
    bool writing_ = false;
    bool open_ = false;
    std::string why_closed_;
    boost::asio::steady_timer closed_signal_;
};

}  // namespace herald::state
