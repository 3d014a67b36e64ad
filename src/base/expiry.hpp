#pragma once
// The timer's side of `operation || expiry(timer)`, the way a network wait here gets its
// timeout. When the operation wins, the race cancels the timer; a wait with plain
// use_awaitable then throws operation_aborted, an exception unwound for every read and write
// (about twenty per relayed message). This wait ends quietly either way.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace herald {

// A completion token for coroutines: the operation's error code comes back with its result,
// `auto [ec, n] = co_await socket.async_read_some(buffer, with_error_code)`, instead of thrown.
inline constexpr auto with_error_code = boost::asio::as_tuple(boost::asio::use_awaitable);

inline boost::asio::awaitable<void> expiry(boost::asio::steady_timer& timer) {
    co_await timer.async_wait(with_error_code);
}

}  // namespace herald
