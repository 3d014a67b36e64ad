#include "state/redis_master.hpp"

#include <charconv>

namespace herald::state {

namespace asio = boost::asio;

namespace {

// How to reach one sentinel: the URL's TLS and CA, its own password, no database.
RedisSettings sentinel_settings(const RedisSettings& settings,
                                const config::RedisEndpoint& sentinel) {
    RedisSettings out{.tls_ca = settings.tls_ca, .timeout = settings.timeout};
    out.url.tls = settings.url.tls;
    out.url.host = sentinel.host;
    out.url.port = sentinel.port;
    out.url.password = settings.sentinel_password;
    return out;
}

Result<config::RedisEndpoint> master_address(const RedisValue& reply, const std::string& name) {
    if (reply.is_nil()) return Error{"it monitors no master named " + name};
    if (reply.is_error()) return Error{reply.text};
    config::RedisEndpoint master;
    if (reply.type != RedisValue::Type::array || reply.elements.size() != 2 ||
        reply.elements[0].text.empty()) {
        return Error{"it answered " + describe(reply) + ", not an address"};
    }
    master.host = reply.elements[0].text;
    const std::string& port = reply.elements[1].text;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), master.port);
    if (ec != std::errc{} || end != port.data() + port.size() || master.port == 0) {
        return Error{"it answered port '" + port + "'"};
    }
    return master;
}

asio::awaitable<Result<config::RedisEndpoint>> ask_sentinel(asio::any_io_executor executor,
                                                            const RedisSettings& settings,
                                                            const config::RedisEndpoint& sentinel) {
    auto connection =
        co_await RedisConnection::open(executor, sentinel_settings(settings, sentinel));
    if (!connection) co_return Error{connection.error()};
    std::vector<std::string> ask{"SENTINEL", "get-master-addr-by-name", settings.url.master};
    auto reply = co_await (*connection)->command(std::move(ask));
    (*connection)->close("done");
    if (!reply) co_return Error{reply.error()};
    co_return master_address(*reply, settings.url.master);
}

// The settings with the master's address, from the first sentinel that names one.
asio::awaitable<Result<RedisSettings>> locate_master(asio::any_io_executor executor,
                                                     const RedisSettings& settings) {
    std::string why;
    for (const auto& sentinel : settings.url.sentinels) {
        auto master = co_await ask_sentinel(executor, settings, sentinel);
        if (master) {
            RedisSettings located = settings;
            located.url.host = master->host;
            located.url.port = master->port;
            co_return located;
        }
        why += (why.empty() ? "" : "; ") +
               ("sentinel " + sentinel.to_string() + ": " + master.error());
    }
    co_return Error{why};
}

// ROLE's first element: "master", "slave" or "sentinel".
asio::awaitable<Status> confirm_master(RedisConnection& connection) {
    std::vector<std::string> role{"ROLE"};
    auto reply = co_await connection.command(std::move(role));
    if (!reply) co_return Error{reply.error()};
    if (reply->type != RedisValue::Type::array || reply->elements.empty()) {
        co_return Error{"ROLE answered " + describe(*reply)};
    }
    if (reply->elements[0].text != "master") {
        const auto& url = connection.settings().url;
        co_return Error{"the sentinels named " +
                        config::RedisEndpoint{url.host, url.port}.to_string() + ", which is a " +
                        reply->elements[0].text + " (a failover under way?)"};
    }
    co_return ok_status();
}

}  // namespace

asio::awaitable<Result<std::shared_ptr<RedisConnection>>> open_master(
    asio::any_io_executor executor, const RedisSettings& settings, RedisConnection::Push on_push) {
    if (!settings.url.uses_sentinels()) {
        co_return co_await RedisConnection::open(executor, settings, std::move(on_push));
    }
    auto located = co_await locate_master(executor, settings);
    if (!located) co_return Error{located.error()};
    auto connection = co_await RedisConnection::open(executor, *located, std::move(on_push));
    if (!connection) co_return Error{connection.error()};
    if (auto confirmed = co_await confirm_master(**connection); !confirmed) {
        (*connection)->close(confirmed.error());
        co_return Error{confirmed.error()};
    }
    co_return connection;
}

}  // namespace herald::state
