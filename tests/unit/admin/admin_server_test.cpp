// The admin server on a real loopback socket, with the event loop on its own thread and
// the test as a blocking client that writes raw bytes (so that it can misbehave).
#include "admin/admin_server.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <future>
#include <mutex>
#include <thread>

#include "admin_test_support.hpp"

namespace herald::admin {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

constexpr std::string_view kToken = "0123456789abcdef-secret";
constexpr std::string_view kWithToken = "Authorization: Bearer 0123456789abcdef-secret\r\n";
constexpr std::string_view kNoToken = "";

// A loopback port that was free a moment ago: [admin] http names a real port, never 0.
std::uint16_t free_port() {
    asio::io_context io;
    tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    return probe.local_endpoint().port();
}

// The census asks which transport takes a recipient; these tests need none.
class NoTransport : public delivery::TransportSelector {
  public:
    delivery::Transport* transport_for(std::string_view, std::string_view) const override {
        return nullptr;
    }
};

class AdminServerTest : public ::testing::Test {
  protected:
    // By default as a server without [admin] token runs: a generated token, /metrics open.
    void start(std::string token = std::string(kToken), bool loopback_only = true) {
        AdminServices services{
            .metrics = metrics_,
            .census = census_,
            .spool = spool_.spool(),
            .pool = pool_,
            .queue_action =
                [this](std::string_view action, std::string_view id) {
                    std::lock_guard lock(mutex_);
                    actions_.push_back(std::string(action) + " " + std::string(id));
                    return "ok " + std::string(action) + " " + std::string(id);
                },
            .config = [this]() -> const config::Config& { return config_; },
            .token = std::move(token),
            .loopback_only = loopback_only,
            .note =
                [this](const std::string& line) {
                    std::lock_guard lock(mutex_);
                    notes_.push_back(line);
                },
            .io_timeout = 500ms};
        port_ = free_port();
        auto bound = AdminServer::bind(io_.get_executor(), "127.0.0.1:" + std::to_string(port_),
                                       std::move(services));
        ASSERT_TRUE(bound) << bound.error();
        server_ = std::move(*bound);
        ASSERT_EQ(server_->local_address(), "127.0.0.1:" + std::to_string(port_));
        asio::co_spawn(io_, server_->serve(), asio::detached);
        thread_ = std::thread([this] { io_.run(); });
    }

    void TearDown() override {
        if (thread_.joinable()) {
            std::promise<void> closed;
            asio::post(io_, [&] {
                server_->close();
                closed.set_value();
            });
            closed.get_future().wait();
            work_.reset();
            io_.stop();
            thread_.join();
        }
    }

    // Sends `bytes`, then reads until the server closes the connection.
    std::string exchange(std::string_view bytes) {
        tcp::socket socket(client_io_);
        socket.connect({asio::ip::make_address("127.0.0.1"), port_});
        asio::write(socket, asio::buffer(bytes));
        std::string reply;
        boost::system::error_code ec;
        asio::read(socket, asio::dynamic_buffer(reply), ec);
        return reply;
    }

    // With the token unless `extra_headers` says otherwise (kNoToken).
    std::string request(std::string_view method, std::string_view target,
                        std::string_view extra_headers = kWithToken) {
        return exchange(std::string(method) + " " + std::string(target) +
                        " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
                        std::string(extra_headers) + "\r\n");
    }

    static std::string status_line(const std::string& reply) {
        return reply.substr(0, reply.find("\r\n"));
    }
    static std::string body(const std::string& reply) {
        auto end = reply.find("\r\n\r\n");
        return end == std::string::npos ? "" : reply.substr(end + 4);
    }

    asio::io_context io_{1};
    asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
    BlockingPool pool_{1};
    TestSpool spool_;
    NoTransport router_;
    queue::QueueCensus census_{router_};
    Metrics metrics_{{"mx"}};
    config::Config config_ = [] {
        config::Config c;
        c.transports.push_back({.name = "mx", .type = config::Transport::Type::smtp});
        return c;
    }();
    std::unique_ptr<AdminServer> server_;
    std::thread thread_;
    std::uint16_t port_ = 0;
    asio::io_context client_io_;
    std::mutex mutex_;
    std::vector<std::string> actions_;
    std::vector<std::string> notes_;
};

TEST_F(AdminServerTest, ServesMetricsWithQueueGaugesFromTheCensus) {
    census_.place("m1", {.sender = "a@example.com",
                         .recipients = {"x@example.net"},
                         .arrival = std::chrono::system_clock::now() - 100s});
    start();
    auto reply = request("GET", "/metrics");
    EXPECT_EQ(status_line(reply), "HTTP/1.1 200 OK");
    EXPECT_NE(reply.find("Content-Type: text/plain; version=0.0.4"), std::string::npos);
    EXPECT_NE(reply.find("\nherald_queue_messages 1\n"), std::string::npos) << reply;
    EXPECT_NE(reply.find("\nherald_queue_destination_messages{destination=\"example.net\"} 1\n"),
              std::string::npos);
    EXPECT_NE(reply.find("herald_recipients_delivered_total{transport=\"mx\"} 0"),
              std::string::npos);
}

TEST_F(AdminServerTest, ListsTheQueue) {
    auto id = spool_.store("a@example.com", {"x@example.net"});
    start();
    auto reply = request("GET", "/api/queue");
    EXPECT_EQ(status_line(reply), "HTTP/1.1 200 OK");
    EXPECT_NE(body(reply).find("\"id\":\"" + id + "\""), std::string::npos) << reply;
    EXPECT_NE(reply.find("X-Total-Count: 1"), std::string::npos);
}

TEST_F(AdminServerTest, QueueActionsGoToTheQueueControl) {
    start();
    auto reply = request("POST", "/api/queue/0abc123def4560001xyz/hold");
    EXPECT_EQ(status_line(reply), "HTTP/1.1 200 OK");
    EXPECT_NE(body(reply).find("\"ok\":true"), std::string::npos);
    request("POST", "/api/queue/flush");
    std::lock_guard lock(mutex_);
    EXPECT_EQ(actions_, (std::vector<std::string>{"hold 0abc123def4560001xyz", "flush "}));
}

TEST_F(AdminServerTest, ServesTransportsAndTheConsole) {
    start();
    EXPECT_NE(body(request("GET", "/api/transports")).find("\"name\":\"mx\""), std::string::npos);
    auto console = request("GET", "/");
    EXPECT_EQ(status_line(console), "HTTP/1.1 200 OK");
    EXPECT_NE(console.find("Content-Type: text/html"), std::string::npos);
}

TEST_F(AdminServerTest, WithATokenRequestsWithoutItAre401) {
    start(std::string(kToken), false);
    auto reply = request("GET", "/metrics", kNoToken);
    EXPECT_EQ(status_line(reply), "HTTP/1.1 401 Unauthorized");
    EXPECT_NE(reply.find("WWW-Authenticate: Bearer"), std::string::npos);
    reply = request("GET", "/metrics");
    EXPECT_EQ(status_line(reply), "HTTP/1.1 200 OK");
    std::lock_guard lock(mutex_);
    EXPECT_TRUE(actions_.empty());
}

TEST_F(AdminServerTest, QueueActionsWithoutTheTokenAreRefusedAndLoggedWithoutIt) {
    start();
    EXPECT_EQ(status_line(request("POST", "/api/queue/0abc123def4560001xyz/delete", kNoToken)),
              "HTTP/1.1 401 Unauthorized");
    EXPECT_EQ(status_line(request("GET", "/api/queue?limit=5",
                                  "Authorization: Bearer guessed-guessed-guessed\r\n")),
              "HTTP/1.1 401 Unauthorized");
    EXPECT_EQ(status_line(request("GET", "/metrics", kNoToken)), "HTTP/1.1 200 OK");
    std::lock_guard lock(mutex_);
    EXPECT_TRUE(actions_.empty());
    ASSERT_EQ(notes_.size(), 2u);
    EXPECT_EQ(notes_[0],
              "admin: refused POST /api/queue/0abc123def4560001xyz/delete from 127.0.0.1: "
              "no bearer token");
    EXPECT_EQ(notes_[1], "admin: refused GET /api/queue from 127.0.0.1: wrong credentials");
}

TEST_F(AdminServerTest, AnswersSeveralRequestsOnOneConnection) {
    start();
    std::string two =
        "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        "GET /api/transports HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
        std::string(kWithToken) + "\r\n";
    auto reply = exchange(two);
    EXPECT_EQ(reply.find("HTTP/1.1 200 OK"), 0u);
    EXPECT_NE(reply.find("HTTP/1.1 200 OK", 10), std::string::npos) << reply;
}

TEST_F(AdminServerTest, AHugeHeaderIs431AndTheServerCarriesOn) {
    start();
    auto reply =
        request("GET", "/metrics",
                std::string(kWithToken) + "X-Big: " + std::string(64 * 1024, 'a') + "\r\n");
    EXPECT_EQ(status_line(reply), "HTTP/1.1 431 Request Header Fields Too Large");
    EXPECT_EQ(status_line(request("GET", "/metrics")), "HTTP/1.1 200 OK");
}

TEST_F(AdminServerTest, ABigBodyIs413) {
    start();
    auto reply = exchange("POST /api/queue/flush HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
                          std::to_string(1 << 20) + "\r\n\r\n" + std::string(8192, 'x'));
    EXPECT_EQ(status_line(reply), "HTTP/1.1 413 Payload Too Large");
}

TEST_F(AdminServerTest, GarbageIs400) {
    start();
    for (std::string_view garbage :
         {"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", "GET\r\n\r\n",
          "GET / HTTP/9.9\r\n\r\n", "GET / HTTP/1.1\r\nBad Header\r\n\r\n",
          "GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"}) {
        EXPECT_EQ(status_line(exchange(garbage)), "HTTP/1.1 400 Bad Request")
            << ::testing::PrintToString(std::string(garbage));
    }
}

TEST_F(AdminServerTest, AnUnknownMethodIs405) {
    start();
    EXPECT_EQ(status_line(request("BREW", "/metrics")), "HTTP/1.1 405 Method Not Allowed");
    EXPECT_EQ(status_line(request("BREW", "/api/queue", kNoToken)), "HTTP/1.1 401 Unauthorized");
}

TEST_F(AdminServerTest, ASilentClientIsDisconnectedAfterTheTimeout) {
    start();
    auto begin = std::chrono::steady_clock::now();
    auto reply = exchange("GET /metr");  // and then nothing
    EXPECT_EQ(reply, "");
    EXPECT_LT(std::chrono::steady_clock::now() - begin, 5s);
    EXPECT_EQ(status_line(request("GET", "/metrics")), "HTTP/1.1 200 OK");
}

TEST(AdminServerBind, ReportsAnAddressInUse) {
    asio::io_context io;
    tcp::acceptor taken(io, {asio::ip::make_address("127.0.0.1"), 0});
    auto port = taken.local_endpoint().port();
    BlockingPool pool(1);
    spool::Spool spool("/nonexistent");  // never read: bind fails first
    Metrics metrics;
    NoTransport router;
    queue::QueueCensus census(router);
    auto bound =
        AdminServer::bind(io.get_executor(), "127.0.0.1:" + std::to_string(port),
                          {.metrics = metrics, .census = census, .spool = spool, .pool = pool});
    ASSERT_FALSE(bound);
    EXPECT_NE(bound.error().find("admin.http 127.0.0.1:" + std::to_string(port)),
              std::string::npos);
    EXPECT_NE(bound.error().find("cannot listen"), std::string::npos) << bound.error();
}

TEST(AdminServerBind, RefusesAnAddressThatIsNoIp) {
    asio::io_context io;
    BlockingPool pool(1);
    spool::Spool spool("/nonexistent");  // never read: bind fails first
    Metrics metrics;
    NoTransport router;
    queue::QueueCensus census(router);
    for (std::string_view address : {"mail.example.com:8025", "127.0.0.1", "nonsense"}) {
        auto bound =
            AdminServer::bind(io.get_executor(), address,
                              {.metrics = metrics, .census = census, .spool = spool, .pool = pool});
        EXPECT_FALSE(bound) << address;
    }
}

}  // namespace
}  // namespace herald::admin
