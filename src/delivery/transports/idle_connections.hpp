#pragma once
// Open SMTP connections waiting for the next message to their destination. Reusing one saves
// the TCP, TLS and EHLO round trips of a new connection; receivers also count connections, so
// fewer of them keeps a sender in good standing. A connection parks for a bounded time and
// carries a bounded number of messages; it keeps its connection-limit permit while parked.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "delivery/transports/client_connection.hpp"
#include "delivery/transports/connection_limiter.hpp"

namespace herald::delivery {

struct ReuseLimits {
    std::chrono::seconds idle_time{10};
    std::size_t max_messages = 100;  // per connection
};

// A connection with the permit that lets it be open.
struct HeldConnection {
    std::unique_ptr<ClientConnection> connection;
    ConnectionLimiter::Permit permit;
};

class IdleConnections {
  public:
    IdleConnections(boost::asio::any_io_executor executor, ReuseLimits limits);
    ~IdleConnections();
    IdleConnections(const IdleConnections&) = delete;
    IdleConnections& operator=(const IdleConnections&) = delete;

    // The most recently parked connection to `destination`, if any.
    std::optional<HeldConnection> take(const std::string& destination);
    // Keeps the connection for the next message to `destination`, or closes it when it cannot
    // carry another one.
    void park(const std::string& destination, HeldConnection held);
    // Closes every parked connection (at shutdown, or when the administrator flushes).
    void close_all();
    // Closes one that is not parked: QUIT, in the background.
    void close(HeldConnection held);
    // Connections whose QUIT is still on its way.
    std::size_t closing() const { return *closing_; }

  private:
    struct Parked {
        HeldConnection held;
        std::shared_ptr<boost::asio::steady_timer> expiry;
    };

    boost::asio::any_io_executor executor_;
    ReuseLimits limits_;
    std::unordered_map<std::string, std::list<Parked>> parked_;
    // Shared with the expiry waits, which may outlive this object.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
    std::shared_ptr<std::size_t> closing_ = std::make_shared<std::size_t>(0);
};

}  // namespace herald::delivery
