// The queue's core loop against a real spool in a temporary directory, with a scripted
// transport: each recipient's outcome is chosen by its local part.
#include "queue/scheduler.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "log/main_log.hpp"
#include "queue/bouncer.hpp"
#include "queue/intake.hpp"
#include "queue/queue_census.hpp"
#include "spool/spool.hpp"

namespace herald::queue {
namespace {

namespace fs = std::filesystem;
using delivery::RecipientResult;

// "ok-..." delivered, "temp-..." deferred, "perm-..." failed.
class ScriptedTransport : public delivery::Transport {
  public:
    std::string_view name() const override { return "scripted"; }
    boost::asio::awaitable<std::vector<RecipientResult>> deliver(
        const delivery::Delivery& d) override {
        std::vector<RecipientResult> out;
        for (const auto& r : d.recipients) {
            ++attempts[r];
            RecipientResult result{.recipient = r};
            if (r.starts_with("ok-")) {
                result.outcome = RecipientResult::Outcome::delivered;
                result.detail = "250 2.0.0 ok";
            } else if (r.starts_with("perm-")) {
                result.outcome = RecipientResult::Outcome::failed;
                result.detail = "550 5.1.1 no such user";
            } else {
                result.outcome = RecipientResult::Outcome::deferred;
                result.detail = "451 4.3.0 try later";
            }
            out.push_back(result);
        }
        co_return out;
    }
    std::map<std::string, int> attempts;
};

class SchedulerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("herald-sched-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        spool_ = std::make_unique<spool::Spool>(dir_ / "spool");
        ASSERT_TRUE(spool_->open().ok());
        mainlog_ = std::move(*log::MainLog::open(dir_ / "mainlog"));
        intake_ = std::make_unique<Intake>(*spool_, *mainlog_);
        bouncer_ = std::make_unique<Bouncer>(*intake_, *mainlog_, "mail.example.com");
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string queue(std::string sender, std::vector<std::string> rcpts) {
        message::Envelope env;
        env.sender = std::move(sender);
        env.recipients = std::move(rcpts);
        env.protocol = "esmtp";
        env.arrival = std::chrono::system_clock::now();
        auto outcome = intake_->accept(env, "Subject: t\r\n\r\nbody\r\n",
                                       IntakeOptions{.hostname = "mail.example.com"});
        return std::get<Accepted>(outcome).id;
    }

    // Runs one scheduler over the spool until nothing is due now, with `transport` standing
    // in for whatever the router picks.
    void run_scheduler(ScriptedTransport& transport, QueueCensus* census = nullptr) {
        boost::asio::io_context io;
        BlockingPool pool(2);
        OneTransport router(transport);
        Scheduler scheduler(io.get_executor(), *spool_, *mainlog_, router, pool,
                            SchedulerSettings{.max_active = 4,
                                              .retry = RetrySchedule({std::chrono::seconds(3600)},
                                                                     std::chrono::hours(24))},
                            bouncer_.get(), census);
        static_cast<void>(spool_->recover(
            [&scheduler](spool::SpooledMessage&& message, std::optional<spool::Schedule>&& saved) {
                scheduler.adopt(message, saved);
            }));
        io.run_for(std::chrono::milliseconds(500));
        scheduler.stop();
        io.run_for(std::chrono::milliseconds(50));
    }

    std::string mainlog_text() {
        std::ifstream in(dir_ / "mainlog");
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }

    class OneTransport : public delivery::TransportSelector {
      public:
        explicit OneTransport(ScriptedTransport& t) : t_(t) {}
        delivery::Transport* transport_for(std::string_view, std::string_view) const override {
            return &t_;
        }

      private:
        ScriptedTransport& t_;
    };

    fs::path dir_;
    std::unique_ptr<spool::Spool> spool_;
    std::unique_ptr<log::MainLog> mainlog_;
    std::unique_ptr<Intake> intake_;
    std::unique_ptr<Bouncer> bouncer_;
};

TEST_F(SchedulerTest, DeliversAndRemovesACompletedMessage) {
    std::string id = queue("a@example.com", {"ok-1@example.net", "ok-2@example.net"});
    ScriptedTransport t;
    run_scheduler(t);
    EXPECT_TRUE(spool_->list().empty());
    std::string log = mainlog_text();
    EXPECT_NE(log.find(id + " => ok-1@example.net"), std::string::npos);
    EXPECT_NE(log.find(id + " Completed"), std::string::npos);
}

TEST_F(SchedulerTest, KeepsADeferredRecipientQueuedWithItsSchedule) {
    std::string id = queue("a@example.com", {"ok-1@example.net", "temp-1@example.net"});
    ScriptedTransport t;
    run_scheduler(t);
    ASSERT_EQ(spool_->list(), std::vector<std::string>{id});
    auto schedule = spool_->load_schedule(id);
    ASSERT_TRUE(schedule);
    EXPECT_EQ(schedule->attempts, 1u);
    EXPECT_EQ(schedule->last_error, "451 4.3.0 try later");
    EXPECT_GT(schedule->next_attempt, std::chrono::system_clock::now() + std::chrono::minutes(30));
}

TEST_F(SchedulerTest, NeverRepeatsADeliveredRecipientAfterARestart) {
    std::string id = queue("a@example.com", {"ok-1@example.net", "temp-1@example.net"});
    ScriptedTransport first;
    run_scheduler(first);
    ASSERT_TRUE(
        spool_->save_schedule(id, {.attempts = 1, .next_attempt = std::chrono::system_clock::now()})
            .ok());
    ScriptedTransport second;
    run_scheduler(second);
    EXPECT_EQ(second.attempts.count("ok-1@example.net"), 0u);
    EXPECT_EQ(second.attempts["temp-1@example.net"], 1);
}

TEST_F(SchedulerTest, BouncesPermanentFailuresToTheSender) {
    std::string id = queue("alice@example.com", {"perm-1@example.net", "ok-1@example.net"});
    ScriptedTransport t;
    run_scheduler(t);
    std::string log = mainlog_text();
    EXPECT_NE(log.find(id + " ** perm-1@example.net"), std::string::npos);
    EXPECT_NE(log.find(id + " bounce "), std::string::npos);
    // The bounce itself went to the scripted transport for alice@example.com.
    EXPECT_EQ(t.attempts["alice@example.com"], 1);
}

TEST_F(SchedulerTest, NeverBouncesABounce) {
    std::string id = queue("", {"perm-1@example.net"});
    ScriptedTransport t;
    run_scheduler(t);
    std::string log = mainlog_text();
    EXPECT_NE(log.find(id + " no bounce"), std::string::npos);
    EXPECT_TRUE(spool_->list().empty());
}

TEST_F(SchedulerTest, LeavesAHeldMessageAlone) {
    std::string id = queue("a@example.com", {"ok-1@example.net"});
    ASSERT_TRUE(spool_->set_held(id, true).ok());
    ScriptedTransport t;
    run_scheduler(t);
    EXPECT_TRUE(t.attempts.empty());
    EXPECT_EQ(spool_->list(), std::vector<std::string>{id});
}

// Counted at start-up from the spool, then kept as attempts deliver and defer: what stays is
// exactly the deferred recipients.
TEST_F(SchedulerTest, CensusCountsWhatStaysQueued) {
    ScriptedTransport transport;
    OneTransport router(transport);
    QueueCensus census(router);
    queue("a@example.com", {"ok-1@example.net"});
    queue("a@example.com", {"temp-1@example.net", "temp-2@Example.ORG", "ok-3@example.org"});
    run_scheduler(transport, &census);

    const auto snapshot = census.snapshot(std::chrono::system_clock::now());
    EXPECT_EQ(snapshot.total.messages, 1u);
    EXPECT_EQ(snapshot.total.recipients, 2u);
    EXPECT_EQ(snapshot.transports.at("scripted").recipients, 2u);
    EXPECT_EQ(snapshot.destinations.at("example.net").recipients, 1u);
    EXPECT_EQ(snapshot.destinations.at("example.org").messages, 1u);
    EXPECT_EQ(snapshot.destinations.at("example.org").recipients, 1u);
}

}  // namespace
}  // namespace herald::queue
