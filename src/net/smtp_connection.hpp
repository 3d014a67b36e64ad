#pragma once
// One client connection: the socket, TLS and timers around a smtp::ServerSession.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <string>
#include <string_view>

#include "accept/acceptance.hpp"
#include "admin/metrics.hpp"
#include "base/blocking_pool.hpp"
#include "net/connection_limits.hpp"
#include "net/tls_context.hpp"
#include "policy/auth_throttle.hpp"
#include "policy/policies.hpp"
#include "queue/intake.hpp"
#include "smtp/server_session.hpp"
#include "state/auth_failures.hpp"
#include "state/shared_rate_limits.hpp"

namespace herald::net {

// What every connection of one listener shares. Owned by the server; outlives connections.
struct SmtpServices {
    smtp::SessionSettings settings;  // per listener; copied into each session
    bool allow_plaintext_auth_on_loopback = false;
    std::chrono::seconds auth_failure_delay{2};    // without a throttle
    state::AuthFailures* auth_failures = nullptr;  // the server's; survives reloads
    // The policies in force now; a connection takes them when it starts (reload swaps them).
    std::function<std::shared_ptr<policy::Policies>()> policies;
    const ServerTls* tls = nullptr;
    queue::Intake* intake = nullptr;                   // for the files DATA is written to
    accept::Acceptance* acceptance = nullptr;          // the steps a message takes into the queue
    state::SharedRateLimits* shared_limits = nullptr;  // [cluster]: limits counted in Redis
    admin::Metrics* metrics = nullptr;                 // null: no [admin] http
    std::function<void(const std::string&)> note;      // a mainlog line
    BlockingPool* pool = nullptr;
    std::function<void(const std::string& client_ip, const smtp::Rejection&)> log_rejection;
    std::function<void(const std::string& context, const std::string& what)> panic;
};

// `peer`: the client's address as accept() told it (no getpeername a connection).
boost::asio::awaitable<void> serve_smtp_connection(boost::asio::ip::tcp::socket socket,
                                                   boost::asio::ip::tcp::endpoint peer,
                                                   ConnectionLimits::Slot slot,
                                                   const SmtpServices& services);

}  // namespace herald::net
