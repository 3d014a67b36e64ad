#include "base/event_loop.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <memory>

namespace herald {
namespace {

namespace asio = boost::asio;

// What a parked coroutine's frame points into: it must still exist when the frame goes.
struct Counted {
    int& alive;
    explicit Counted(int& count) : alive(++count) {}
    ~Counted() { --alive; }
};

asio::awaitable<void> park(int& count) {
    Counted counted(count);
    asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::hours(1));
    co_await timer.async_wait(asio::use_awaitable);
}

TEST(EventLoop, DiscardingPendingWorkDestroysParkedFramesWhileTheOwnerStillExists) {
    auto count = std::make_unique<int>(0);
    EventLoop loop;
    asio::co_spawn(loop, park(*count), asio::detached);
    asio::co_spawn(loop, park(*count), asio::detached);
    loop.run_for(std::chrono::milliseconds(10));
    ASSERT_EQ(*count, 2);  // both parked on their timers
    loop.stop();

    loop.discard_pending_work();
    EXPECT_EQ(*count, 0);
    count.reset();  // the loop's destructor must not reach into it again
}

// Objects bound to the loop may outlive the discard (the server's listeners do).
TEST(EventLoop, TimersMayBeDestroyedAfterTheDiscard) {
    EventLoop loop;
    auto timer = std::make_unique<asio::steady_timer>(loop, std::chrono::hours(1));
    bool called = false;
    timer->async_wait([&](const boost::system::error_code&) { called = true; });
    loop.discard_pending_work();
    timer.reset();
    loop.discard_pending_work();  // twice is harmless, as the destructor's is
    EXPECT_FALSE(called);
}

}  // namespace
}  // namespace herald
