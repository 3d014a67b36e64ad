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

inline boost::asio::awaitable<void> expiry(boost::asio::steady_timer& timer) {
    co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
}

}  // namespace herald
