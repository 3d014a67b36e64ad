#include "base/expiry.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>

#include <chrono>
#include <exception>
#include <optional>

namespace herald {
namespace {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using namespace std::chrono_literals;

// Which side of `wait(operation) || expiry(deadline)` won, run to the end on a fresh loop.
std::optional<std::size_t> race(std::chrono::milliseconds operation_takes,
                                std::chrono::milliseconds deadline_after) {
    asio::io_context io;
    std::optional<std::size_t> winner;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            asio::steady_timer operation(io, operation_takes);
            asio::steady_timer deadline(io, deadline_after);
            boost::system::error_code ec;
            auto result =
                co_await (operation.async_wait(asio::redirect_error(asio::use_awaitable, ec)) ||
                          expiry(deadline));
            winner = result.index();
        },
        [](const std::exception_ptr& error) {
            if (error) std::rethrow_exception(error);
        });
    io.run();
    return winner;
}

TEST(Expiry, TheOperationWinsWhenItEndsFirst) {
    EXPECT_EQ(race(1ms, 10s), 0u);
}

TEST(Expiry, TheDeadlineWinsWhenTheOperationHangs) {
    EXPECT_EQ(race(10s, 5ms), 1u);
}

}  // namespace
}  // namespace herald
