#include "base/io_deadline.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <array>

#include "base/expiry.hpp"

namespace herald {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

// A connected pair of sockets on loopback.
struct SocketPair {
    explicit SocketPair(asio::io_context& io) : near(io), far(io) {
        tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        near.connect(acceptor.local_endpoint());
        far = acceptor.accept();
    }
    tcp::socket near;
    tcp::socket far;
};

// The reads a test makes through one deadline, as a connection does.
struct Reader {
    Reader(asio::io_context& io, tcp::socket& socket)
        : socket(socket), deadline(io.get_executor(), [&socket] {
              boost::system::error_code ignored;
              socket.cancel(ignored);
          }) {}

    asio::awaitable<bool> read(std::chrono::steady_clock::duration timeout) {
        std::array<char, 16> buffer;
        deadline.arm(timeout);
        auto [ec, n] = co_await socket.async_read_some(asio::buffer(buffer), with_error_code);
        deadline.disarm();
        co_return !ec && n > 0;
    }

    tcp::socket& socket;
    IoDeadline deadline;
};

// A read the peer answers is not cut off, however many come one after another; one it never
// answers is, and says so.
TEST(IoDeadline, CutsOffOnlyTheWaitWhoseDeadlinePasses) {
    asio::io_context io;
    SocketPair pair(io);
    Reader reader(io, pair.near);
    int answered = 0;
    bool silent_read = true, silent_expired = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            for (int i = 0; i < 5; ++i) {
                asio::write(pair.far, asio::buffer("x", 1));
                if (co_await reader.read(10s) && !reader.deadline.expired()) ++answered;
            }
            silent_read = co_await reader.read(50ms);
            silent_expired = reader.deadline.expired();
        },
        asio::detached);
    io.run_for(10s);
    EXPECT_EQ(answered, 5);
    EXPECT_FALSE(silent_read);
    EXPECT_TRUE(silent_expired);
}

// A shorter timeout after a longer one still holds: the timer is set sooner.
TEST(IoDeadline, AShorterTimeoutAfterALongerOneHolds) {
    asio::io_context io;
    SocketPair pair(io);
    Reader reader(io, pair.near);
    bool done = false, expired = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            asio::write(pair.far, asio::buffer("x", 1));
            co_await reader.read(1h);
            co_await reader.read(50ms);
            expired = reader.deadline.expired();
            done = true;
        },
        asio::detached);
    io.run_for(10s);
    EXPECT_TRUE(done) << "the 50 ms read waited for the hour";
    EXPECT_TRUE(expired);
}

// Gone before its timer went off: nothing is called, and the loop runs out of work.
TEST(IoDeadline, GoneBeforeItsDeadlineItCallsNothing) {
    asio::io_context io;
    bool called = false;
    {
        IoDeadline deadline(io.get_executor(), [&] { called = true; });
        deadline.arm(10ms);
    }
    io.run_for(1s);
    EXPECT_FALSE(called);
}

}  // namespace
}  // namespace herald
