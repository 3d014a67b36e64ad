#pragma once
// Accepts connections on one address and gives each its own coroutine; refuses, with a 421,
// those over the total or per-IP ceiling.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <string>

#include "base/result.hpp"
#include "net/connection_limits.hpp"
#include "net/smtp_connection.hpp"

namespace herald::net {

// Binds host:port (SO_REUSEADDR); an error says which address and why.
Result<boost::asio::ip::tcp::acceptor> bind_listener(boost::asio::any_io_executor executor,
                                                     const std::string& host, std::uint16_t port);

boost::asio::awaitable<void> accept_smtp_connections(boost::asio::ip::tcp::acceptor& acceptor,
                                                     ConnectionLimits& limits,
                                                     const SmtpServices& services);

}  // namespace herald::net
