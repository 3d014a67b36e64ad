#pragma once
// Runs a coroutine to completion on the caller's io_context, as the server's loop would.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace herald::dns::testing {

template <typename T>
T run_coroutine(boost::asio::io_context& io, boost::asio::awaitable<T> task) {
    auto future = boost::asio::co_spawn(io, std::move(task), boost::asio::use_future);
    io.restart();
    io.run();
    return future.get();
}

template <typename T>
T run_coroutine(boost::asio::awaitable<T> task) {
    boost::asio::io_context io;
    return run_coroutine(io, std::move(task));
}

}  // namespace herald::dns::testing
