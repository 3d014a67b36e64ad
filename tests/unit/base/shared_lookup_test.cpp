#include "base/shared_lookup.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace herald {
namespace {

namespace asio = boost::asio;

// A lookup that takes a while and counts how often it ran, per key.
struct SlowLookups {
    asio::io_context& io;
    std::map<std::string, int> runs;

    asio::awaitable<std::string> look_up(std::string key) {
        ++runs[key];
        asio::steady_timer pause(io, std::chrono::milliseconds(20));
        co_await pause.async_wait(asio::use_awaitable);
        co_return key + " #" + std::to_string(runs[key]);
    }
};

TEST(SharedLookup, OverlappingLookupsOfOneKeyRunOnceAndShareTheResult) {
    asio::io_context io;
    SlowLookups lookups{io, {}};
    SharedLookup<std::string, std::string> shared;
    std::vector<std::string> results;
    auto ask = [&](std::string key) -> asio::awaitable<void> {
        auto lookup = [&lookups, key] { return lookups.look_up(key); };
        results.push_back(co_await shared.get(key, lookup));
    };
    for (const char* key : {"a.test", "a.test", "b.test", "a.test"}) {
        asio::co_spawn(io, ask(key), asio::detached);
    }
    io.run();
    EXPECT_EQ(lookups.runs["a.test"], 1);
    EXPECT_EQ(lookups.runs["b.test"], 1);
    EXPECT_EQ(std::count(results.begin(), results.end(), "a.test #1"), 3);
    EXPECT_EQ(std::count(results.begin(), results.end(), "b.test #1"), 1);

    // Once it has ended, the next lookup of the key runs again.
    io.restart();
    asio::co_spawn(io, ask("a.test"), asio::detached);
    io.run();
    EXPECT_EQ(results.back(), "a.test #2");
}

// At shutdown the event loop goes after the owner of the lookups, with a lookup still out:
// destroying its frame then must not touch the owner.
TEST(SharedLookup, ALookupFrameMayOutliveItsOwner) {
    auto io = std::make_unique<asio::io_context>();
    auto shared = std::make_unique<SharedLookup<std::string, std::string>>();
    auto never = [&]() -> asio::awaitable<std::string> {
        asio::steady_timer forever(*io, std::chrono::hours(1));
        co_await forever.async_wait(asio::use_awaitable);
        co_return "late";
    };
    auto ask = [&]() -> asio::awaitable<void> {
        const std::string key = "a.test";
        co_await shared->get(key, never);
    };
    asio::co_spawn(*io, ask(), asio::detached);
    asio::co_spawn(*io, ask(), asio::detached);  // waits for the first
    io->poll();
    shared.reset();
    io.reset();  // destroys both frames
    SUCCEED();
}

}  // namespace
}  // namespace herald
