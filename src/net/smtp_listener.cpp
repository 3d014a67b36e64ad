#include "net/smtp_listener.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <exception>

#include "base/expiry.hpp"
#include "base/peer_address.hpp"

namespace herald::net {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

Result<tcp::acceptor> bind_listener(asio::any_io_executor executor, const std::string& host,
                                    std::uint16_t port) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(host, ec);
    if (ec) return Error{"listener " + host + ": not an IP address"};
    tcp::endpoint endpoint(address, port);
    tcp::acceptor acceptor(executor);
    std::string where = endpoint.address().is_v6() ? "[" + host + "]:" + std::to_string(port)
                                                   : host + ":" + std::to_string(port);
    if (acceptor.open(endpoint.protocol(), ec) ||
        acceptor.set_option(asio::socket_base::reuse_address(true), ec) ||
        acceptor.bind(endpoint, ec) ||
        acceptor.listen(asio::socket_base::max_listen_connections, ec)) {
        return Error{"cannot listen on " + where + ": " + ec.message()};
    }
    return acceptor;
}

namespace {

// A fresh socket's buffer takes the line at once, but a write without a deadline is a
// promise nobody checks: it gets one all the same.
asio::awaitable<void> refuse(tcp::socket socket, std::string reply) {
    constexpr std::chrono::seconds kRefusalTimeout{10};
    asio::steady_timer timer(co_await asio::this_coro::executor, kRefusalTimeout);
    boost::system::error_code ec;
    co_await (asio::async_write(socket, asio::buffer(reply),
                                asio::redirect_error(asio::use_awaitable, ec)) ||
              expiry(timer));
    socket.close(ec);
}

// The connection holds its services: a reload may replace the entrance's meanwhile.
asio::awaitable<void> serve_with(tcp::socket socket, tcp::endpoint peer,
                                 ConnectionLimits::Slot slot,
                                 std::shared_ptr<const SmtpServices> services) {
    co_await serve_smtp_connection(std::move(socket), peer, std::move(slot), *services);
}

}  // namespace

asio::awaitable<void> accept_smtp_connections(std::shared_ptr<SmtpEntrance> entrance,
                                              ConnectionLimits& limits) {
    auto executor = co_await asio::this_coro::executor;
    auto& acceptor = entrance->acceptor;
    while (acceptor.is_open()) {
        tcp::endpoint peer;
        auto [ec, socket] =
            co_await acceptor.async_accept(peer, asio::as_tuple(asio::use_awaitable));
        if (ec == asio::error::operation_aborted) break;
        if (ec) {
            // Out of descriptors and the like: say so once, breathe, and go on accepting.
            entrance->services->panic("accept", ec.message());
            asio::steady_timer pause(executor, std::chrono::milliseconds(100));
            co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
        }
        const auto services_ptr = entrance->services;
        const SmtpServices& services = *services_ptr;
        std::string ip = unmapped(peer.address()).to_string();
        auto admission = limits.admit(ip);
        if (!admission.slot) {
            bool per_ip = admission.refusal == ConnectionLimits::Refusal::per_ip;
            smtp::Reply reply(421, "4.7.0",
                              per_ip ? "Too many connections from your address, try again later"
                                     : "Too many connections, try again later");
            services.log_rejection(ip, smtp::Rejection{"connect", reply});
            asio::co_spawn(executor, refuse(std::move(socket), reply.wire()), asio::detached);
            continue;
        }
        asio::co_spawn(
            executor, serve_with(std::move(socket), peer, std::move(*admission.slot), services_ptr),
            [panic = services.panic](std::exception_ptr e) {
                if (!e) return;
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& ex) {
                    panic("smtp connection", ex.what());
                }
            });
    }
}

}  // namespace herald::net
