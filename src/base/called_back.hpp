#pragma once
// A coroutine's wait for a callback that another thread makes once, such as the journal's
// flush (spool::Journal::Committed): the callback resumes the coroutine on the coroutine's
// own executor, never on the thread that called back.
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace herald {

// `start(callback)` hands `callback` (copyable, called with a const std::string&) to whoever
// will call it, and returns whether it did. The awaited value is what the callback was called
// with, or nullopt at once when `start` returned false.
template <typename Start>
auto called_back(Start start) {
    using Outcome = std::optional<std::string>;
    return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>, void(Outcome)>(
        [](auto handler, Start begin) {
            // Tracked: the executor's event loop keeps running while the callback is out.
            auto executor = boost::asio::prefer(boost::asio::get_associated_executor(handler),
                                                boost::asio::execution::outstanding_work.tracked);
            // Shared: the callback must be copyable, the handler is not.
            auto waiting = std::make_shared<decltype(handler)>(std::move(handler));
            auto resume = [waiting, executor](Outcome outcome) {
                boost::asio::post(executor, [waiting, outcome = std::move(outcome)]() mutable {
                    std::move (*waiting)(std::move(outcome));
                });
            };
            if (!begin([resume](const std::string& outcome) { resume(outcome); })) {
                resume(std::nullopt);
            }
        },
        boost::asio::use_awaitable, std::move(start));
}

}  // namespace herald
