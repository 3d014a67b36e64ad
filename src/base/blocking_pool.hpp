#pragma once
// Threads for work that blocks (fsync, crypt(3), file delivery), so that the event loop never
// waits on a disk or a password hash. run() hops to the pool and back to the caller's executor.
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstddef>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace herald {

class BlockingPool {
  public:
    explicit BlockingPool(std::size_t threads) : pool_(threads) {}
    ~BlockingPool() { pool_.join(); }

    // Runs f() on the pool; an exception it throws is rethrown to the awaiting coroutine.
    // Give it lambdas that capture references and trivial values only: GCC 12 destroys a
    // co_await expression's temporaries twice when they own memory (a captured std::string).
    template <typename F>
    auto run(F f) -> boost::asio::awaitable<std::invoke_result_t<F&>> {
        using R = std::invoke_result_t<F&>;
        if constexpr (std::is_void_v<R>) {
            co_await initiate<void(std::exception_ptr)>(std::move(f));
        } else {
            // Wrapped: use_awaitable wants a default-constructible value; Result<T> is not.
            std::optional<R> result =
                co_await initiate<void(std::exception_ptr, std::optional<R>)>(std::move(f));
            co_return std::move(*result);
        }
    }

    void stop() { pool_.stop(); }

  private:
    // Not a lambda coroutine: GCC 12 mishandles by-value captures of those, so the function
    // travels in plain completion handlers instead.
    template <typename Signature, typename F>
    auto initiate(F f) {
        return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>, Signature>(
            [this](auto handler, F work) {
                boost::asio::post(pool_,
                                  [handler = std::move(handler), work = std::move(work)]() mutable {
                                      complete(std::move(handler), work);
                                  });
            },
            boost::asio::use_awaitable, std::move(f));
    }

    template <typename Handler, typename F>
    static void complete(Handler handler, F& work) {
        using R = std::invoke_result_t<F&>;
        std::exception_ptr error;
        auto executor = boost::asio::get_associated_executor(handler);
        if constexpr (std::is_void_v<R>) {
            try {
                work();
            } catch (...) {
                error = std::current_exception();
            }
            boost::asio::post(executor, [handler = std::move(handler), error]() mutable {
                std::move(handler)(error);
            });
        } else {
            std::optional<R> value;
            try {
                value.emplace(work());
            } catch (...) {
                error = std::current_exception();
            }
            boost::asio::post(executor, [handler = std::move(handler), error,
                                         value = std::move(value)]() mutable {
                std::move(handler)(error, std::move(value));
            });
        }
    }

    boost::asio::thread_pool pool_;
};

}  // namespace herald
