#pragma once
// Threads for work that blocks (fsync, crypt(3), file delivery), so that the event loop never
// waits on a disk or a password hash. run() hops to the pool and back to the caller's executor.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>

namespace herald {

class BlockingPool {
public:
    explicit BlockingPool(std::size_t threads) : pool_(threads) {}
    ~BlockingPool() { pool_.join(); }

    template <typename F>
    auto run(F f) -> boost::asio::awaitable<decltype(f())> {
        using R = decltype(f());
        auto executor = pool_.get_executor();
        if constexpr (std::is_void_v<R>) {
            co_await boost::asio::co_spawn(
                executor, [f = std::move(f)]() mutable -> boost::asio::awaitable<void> {
                    f();
                    co_return;
                },
                boost::asio::use_awaitable);
        } else {
            // co_spawn wants a default-constructible result; Result<T> is not.
            auto result = co_await boost::asio::co_spawn(
                executor,
                [f = std::move(f)]() mutable -> boost::asio::awaitable<std::optional<R>> {
                    co_return f();
                },
                boost::asio::use_awaitable);
            co_return std::move(*result);
        }
    }

    void stop() { pool_.stop(); }

private:
    boost::asio::thread_pool pool_;
};

}  // namespace herald
