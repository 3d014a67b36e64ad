#include "base/called_back.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <functional>
#include <thread>

namespace herald {
namespace {

namespace asio = boost::asio;

// Another thread calls back; the coroutine resumes with what it said, on its own thread.
TEST(CalledBack, ResumesOnTheCoroutinesExecutorWithWhatTheCallbackSaid) {
    asio::io_context io;
    std::jthread other;
    std::optional<std::string> heard;
    std::thread::id resumed_on;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            heard = co_await called_back([&](auto callback) {
                other = std::jthread([callback] { callback("flushed"); });
                return true;
            });
            resumed_on = std::this_thread::get_id();
        },
        asio::detached);
    io.run();  // returns once the coroutine is done: the posted resumption kept it busy
    ASSERT_TRUE(heard.has_value());
    EXPECT_EQ(*heard, "flushed");
    EXPECT_EQ(resumed_on, std::this_thread::get_id());
}

// A start that hands the callback to nobody resumes at once with nothing.
TEST(CalledBack, AStartThatTookNothingResumesWithNothing) {
    asio::io_context io;
    bool done = false;
    std::optional<std::string> heard = "unset";
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            heard = co_await called_back([](auto) { return false; });
            done = true;
        },
        asio::detached);
    io.run();
    EXPECT_TRUE(done);
    EXPECT_FALSE(heard.has_value());
}

}  // namespace
}  // namespace herald
