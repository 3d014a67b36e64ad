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
        if (auto it = running_->find(key); it != running_->end()) {
            std::shared_ptr<Running> running = it->second;
            co_await running->done.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
            if (running->value) co_return *running->value;
            // The first caller's lookup ended without a result (its frame went): ask anew.
        }
        auto running = std::make_shared<Running>(co_await boost::asio::this_coro::executor);
        running_->insert_or_assign(key, running);
        const Ending ending(running_, key, running);
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
    using RunningMap = std::map<Key, std::shared_ptr<Running>>;

    // However the lookup ends, its waiters are woken and the key is free again. It holds the
    // map: a lookup's frame may be destroyed after its SharedLookup, when the event loop that
    // held it goes at shutdown.
    class Ending {
      public:
        Ending(std::shared_ptr<RunningMap> map, const Key& key, std::shared_ptr<Running> running)
            : map_(std::move(map)), key_(key), running_(std::move(running)) {}
        ~Ending() {
            if (auto it = map_->find(key_); it != map_->end() && it->second == running_) {
                map_->erase(it);
            }
            running_->done.cancel();
        }
        Ending(const Ending&) = delete;
        Ending& operator=(const Ending&) = delete;

      private:
        std::shared_ptr<RunningMap> map_;
        Key key_;
        std::shared_ptr<Running> running_;
    };

    std::shared_ptr<RunningMap> running_ = std::make_shared<RunningMap>();
};

}  // namespace herald
