#pragma once
// Accepts connections on one address and gives each its own coroutine; refuses, with a 421,
// those over the total or per-IP ceiling.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <memory>
#include <string>

#include "base/result.hpp"
#include "config/config.hpp"
#include "net/connection_limits.hpp"
#include "net/smtp_connection.hpp"

namespace herald::net {

// Binds host:port (SO_REUSEADDR); an error says which address and why.
Result<boost::asio::ip::tcp::acceptor> bind_listener(boost::asio::any_io_executor executor,
                                                     const std::string& host, std::uint16_t port);

// One SMTP listener: its socket and what its connections are given. A reload replaces
// `services` (a connection keeps those it started with) or closes the acceptor, which ends
// accept_smtp_connections and leaves the connections under way to finish.
struct SmtpEntrance {
    boost::asio::ip::tcp::acceptor acceptor;
    std::shared_ptr<const SmtpServices> services;
    config::Listener listener;  // what it was opened for
};

boost::asio::awaitable<void> accept_smtp_connections(std::shared_ptr<SmtpEntrance> entrance,
                                                     ConnectionLimits& limits);

}  // namespace herald::net
