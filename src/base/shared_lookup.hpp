#pragma once
// Lookups of one key that overlap share one: the first caller runs it, the others wait for
// its result. A cache that keeps results does not help while the first lookup is still out:
// a stream of messages for one domain would otherwise start a lookup each until the first
// one ends (with DNS down, ten seconds of them, each holding its message's state).
// For one event loop's thread, like the callers it serves.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <map>
#include <memory>
#include <optional>

namespace herald {

template <typename Key, typename Value>
class SharedLookup {
  public:
    // `lookup()`'s result, or that of the same key's lookup already under way. Both by
    // reference, so that nothing owning is a temporary of the caller's co_await (GCC 12
    // destroys those twice): name them first.
    template <typename Lookup>
    boost::asio::awaitable<Value> get(const Key& key, Lookup& lookup) {
        if (auto it = running_.find(key); it != running_.end()) {
            std::shared_ptr<Running> running = it->second;
            co_await running->done.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
            if (running->value) co_return *running->value;
            // The first caller's lookup ended without a result (its frame went): ask anew.
        }
        auto running = std::make_shared<Running>(co_await boost::asio::this_coro::executor);
        running_.insert_or_assign(key, running);
        const Ending ending(*this, key, running);
        running->value = co_await lookup();
        co_return *running->value;
    }

  private:
    struct Running {
        explicit Running(boost::asio::any_io_executor executor)
            : done(std::move(executor), boost::asio::steady_timer::time_point::max()) {}
        boost::asio::steady_timer done;  // cancelled to wake the waiters
        std::optional<Value> value;
    };
    // However the lookup ends, its waiters are woken and the key is free again.
    class Ending {
      public:
        Ending(SharedLookup& owner, const Key& key, std::shared_ptr<Running> running)
            : owner_(owner), key_(key), running_(std::move(running)) {}
        ~Ending() {
            if (auto it = owner_.running_.find(key_);
                it != owner_.running_.end() && it->second == running_) {
                owner_.running_.erase(it);
            }
            running_->done.cancel();
        }
        Ending(const Ending&) = delete;
        Ending& operator=(const Ending&) = delete;

      private:
        SharedLookup& owner_;
        Key key_;
        std::shared_ptr<Running> running_;
    };

    std::map<Key, std::shared_ptr<Running>> running_;
};

}  // namespace herald
