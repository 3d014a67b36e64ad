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
            texts[r] = std::string(d.data);
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
    std::map<std::string, std::string> texts;  // the data each recipient was last sent
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

    std::string queue(std::string sender, std::vector<std::string> rcpts,
                      std::chrono::seconds age = std::chrono::seconds(0)) {
        message::Envelope env;
        env.sender = std::move(sender);
        env.recipients = std::move(rcpts);
        env.protocol = "esmtp";
        env.arrival = std::chrono::system_clock::now() - age;
        auto outcome = intake_->accept(env, "Subject: t\r\n\r\nbody\r\n",
                                       IntakeOptions{.hostname = "mail.example.com"});
        return std::get<Accepted>(outcome).id;
    }

    // Runs one scheduler over the spool until nothing is due now, with `transport` standing
    // in for whatever the router picks. The messages come from the spool (`loadings` times),
    // or from `hand_over` when given.
    void run_scheduler(ScriptedTransport& transport, QueueCensus* census = nullptr,
                       DelayWarningRule delay_warning = {}, int loadings = 1,
                       const std::function<void(Scheduler&)>& hand_over = {}) {
        boost::asio::io_context io;
        BlockingPool pool(2);
        OneTransport router(transport);
        Scheduler scheduler(io.get_executor(), *spool_, *mainlog_, router, pool,
                            SchedulerSettings{.max_active = 4,
                                              .retry = RetrySchedule({std::chrono::seconds(3600)},
                                                                     std::chrono::hours(24)),
                                              .delay_warning = delay_warning},
                            bouncer_.get(), census);
        if (hand_over) {
            hand_over(scheduler);
            loadings = 0;
        }
        for (int i = 0; i < loadings; ++i) {
            static_cast<void>(spool_->recover([&scheduler](spool::SpooledMessage&& message,
                                                           std::optional<spool::Schedule>&& saved) {
                scheduler.adopt(message, saved);
            }));
        }
        io.run_for(std::chrono::milliseconds(500));
        scheduler.stop();
        io.run_for(std::chrono::milliseconds(50));
    }

    // A message to ok-1@example.net just accepted, its handed-over copy marked with a first
    // header field the spool's copy lacks.
    Accepted accept_marked() {
        message::Envelope env{.sender = "a@example.com",
                              .recipients = {"ok-1@example.net"},
                              .arrival = std::chrono::system_clock::now()};
        auto outcome = intake_->accept(env, "Subject: t\r\n\r\nbody\r\n",
                                       IntakeOptions{.hostname = "mail.example.com"});
        Accepted accepted = std::get<Accepted>(outcome);
        if (accepted.as_stored) {
            *accepted.as_stored->data = "X-Handed-Over: yes\r\n" + *accepted.as_stored->data;
        }
        return accepted;
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

// Start-up's loading may hand over a message the scheduler already has (one stored since):
// it is delivered once.
TEST_F(SchedulerTest, AMessageHandedOverTwiceIsDeliveredOnce) {
    queue("a@example.com", {"ok-1@example.net", "temp-1@example.net"});
    ScriptedTransport t;
    run_scheduler(t, nullptr, {}, 2);
    EXPECT_EQ(t.attempts["ok-1@example.net"], 1);
    EXPECT_EQ(t.attempts["temp-1@example.net"], 1);
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

TEST_F(SchedulerTest, AFlushWhileTheQueueLoadsReachesTheMessagesLoadedAfterIt) {
    queue("a@example.com", {"temp-1@example.net"});
    ScriptedTransport first;
    run_scheduler(first);  // deferred for an hour
    const auto load_after = [this](bool flush_first) {
        return [this, flush_first](Scheduler& scheduler) {
            if (flush_first) scheduler.flush(std::nullopt);  // `herald queue flush`, early
            static_cast<void>(spool_->recover([&scheduler](spool::SpooledMessage&& message,
                                                           std::optional<spool::Schedule>&& saved) {
                scheduler.adopt(message, saved);
            }));
        };
    };
    ScriptedTransport unflushed;
    run_scheduler(unflushed, nullptr, {}, 1, load_after(false));
    EXPECT_EQ(unflushed.attempts.count("temp-1@example.net"), 0u);
    ScriptedTransport flushed;
    run_scheduler(flushed, nullptr, {}, 1, load_after(true));
    EXPECT_EQ(flushed.attempts["temp-1@example.net"], 1);
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

// A small message comes out of the acceptance as the spool would load it, every envelope field
// as the queue file keeps it, so that its first delivery need not read it back.
TEST_F(SchedulerTest, HandsOverASmallMessageExactlyAsTheSpoolWouldLoadIt) {
    message::Envelope env;
    env.sender = "a@example.com";
    env.recipients = {"ok-1@example.net", "ok-2@example.org"};
    env.smtputf8 = true;
    env.body_8bit = true;
    env.require_tls = true;
    env.dsn_return = message::DsnReturn::headers;
    env.envelope_id = "env-1";
    env.recipient_dsn["ok-2@example.org"] = {.notify = message::RecipientDsn::success,
                                             .orcpt = "rfc822;b@example.org"};
    env.helo = "client.example.com";
    env.client_ip = "192.0.2.1";
    env.auth_user = "alice";
    env.protocol = "esmtpsa";
    env.from_outsider = true;
    env.arrival = std::chrono::system_clock::now();
    auto outcome = intake_->accept(env, "Subject: t\r\n\r\nbody\r\n",
                                   IntakeOptions{.hostname = "mail.example.com"});
    const auto& accepted = std::get<Accepted>(outcome);
    ASSERT_TRUE(accepted.as_stored);
    auto loaded = spool_->load_with_data(accepted.id);
    ASSERT_TRUE(loaded);
    const auto& kept = accepted.as_stored->message;
    const auto& read = loaded->message;
    EXPECT_EQ(kept.id, read.id);
    EXPECT_EQ(kept.held, read.held);
    EXPECT_EQ(kept.data_size, read.data_size);
    ASSERT_EQ(kept.recipients.size(), read.recipients.size());
    for (std::size_t i = 0; i < kept.recipients.size(); ++i) {
        EXPECT_EQ(kept.recipients[i].address, read.recipients[i].address);
        EXPECT_EQ(kept.recipients[i].state, read.recipients[i].state);
    }
    const auto& a = kept.envelope;
    const auto& b = read.envelope;
    EXPECT_EQ(a.sender, b.sender);
    EXPECT_EQ(a.recipients, b.recipients);
    EXPECT_EQ(a.smtputf8, b.smtputf8);
    EXPECT_EQ(a.body_8bit, b.body_8bit);
    EXPECT_EQ(a.require_tls, b.require_tls);
    EXPECT_EQ(a.dsn_return, b.dsn_return);
    EXPECT_EQ(a.envelope_id, b.envelope_id);
    ASSERT_EQ(a.recipient_dsn.size(), b.recipient_dsn.size());
    EXPECT_EQ(a.dsn_of("ok-2@example.org").orcpt, b.dsn_of("ok-2@example.org").orcpt);
    EXPECT_EQ(a.dsn_of("ok-2@example.org").notify, b.dsn_of("ok-2@example.org").notify);
    EXPECT_EQ(a.helo, b.helo);
    EXPECT_EQ(a.client_ip, b.client_ip);
    EXPECT_EQ(a.auth_user, b.auth_user);
    EXPECT_EQ(a.protocol, b.protocol);
    EXPECT_EQ(a.from_outsider, b.from_outsider);
    EXPECT_EQ(a.arrival, b.arrival);
    ASSERT_TRUE(accepted.as_stored->data);
    ASSERT_TRUE(loaded->data);
    EXPECT_EQ(*accepted.as_stored->data, *loaded->data);
}

// A text that outgrew memory on arrival is read from the spool by its delivery.
TEST_F(SchedulerTest, HandsOverNoLargeMessage) {
    message::Envelope env{.sender = "a@example.com", .recipients = {"ok-1@example.net"}};
    const std::string data =
        "Subject: t\r\n\r\n" + std::string(spool::kTextKeptInMemory, 'x') + "\r\n";
    auto outcome = intake_->accept(env, data, IntakeOptions{.hostname = "mail.example.com"});
    const auto& accepted = std::get<Accepted>(outcome);
    EXPECT_FALSE(accepted.as_stored);
    EXPECT_TRUE(spool_->load_with_data(accepted.id));
}

// The first delivery of a message just accepted sends what the acceptance handed over (here
// marked, to tell it from the spool's copy), and ends it in the spool as any delivery does.
TEST_F(SchedulerTest, DeliversAJustStoredMessageFromWhatTheAcceptanceHandedOver) {
    const Accepted accepted = accept_marked();
    ASSERT_TRUE(accepted.as_stored);
    ScriptedTransport t;
    run_scheduler(t, nullptr, {}, 1,
                  [&](Scheduler& s) { s.enqueue_now(accepted.id, accepted.as_stored); });
    EXPECT_TRUE(t.texts["ok-1@example.net"].starts_with("X-Handed-Over: yes\r\n"));
    EXPECT_TRUE(spool_->list().empty());
    EXPECT_NE(mainlog_text().find(accepted.id + " Completed"), std::string::npos);
}

// Held (or deleted) before its delivery began, a message's handed-over copy is dropped: on
// release it is read from the spool, which says what it is now.
TEST_F(SchedulerTest, DropsTheHandedOverCopyOfAMessageHeldBeforeItsDelivery) {
    const Accepted accepted = accept_marked();
    ASSERT_TRUE(accepted.as_stored);
    ScriptedTransport t;
    run_scheduler(t, nullptr, {}, 1, [&](Scheduler& s) {
        s.enqueue_now(accepted.id, accepted.as_stored);
        s.forget(accepted.id);
        s.enqueue_now(accepted.id);
    });
    EXPECT_EQ(t.attempts["ok-1@example.net"], 1);
    const std::string& sent = t.texts["ok-1@example.net"];
    EXPECT_EQ(sent.find("X-Handed-Over"), std::string::npos);
    EXPECT_NE(sent.find("\r\n\r\nbody\r\n"), std::string::npos);
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

// The reports a run queued: the text of each message queued for `sender`, by its id in
// the mainlog ("bounce <id> queued for", "delay warning sent to <...> as <id>").
std::vector<std::string> reports_in(const std::string& log, spool::Spool& spool,
                                    const std::string& marker) {
    std::vector<std::string> texts;
    for (auto pos = log.find(marker); pos != std::string::npos; pos = log.find(marker, pos + 1)) {
        std::string rest = log.substr(pos + marker.size());
        std::string report_id = rest.substr(0, rest.find_first_of(" \n\""));
        if (auto data = spool.read_data(report_id)) texts.push_back(*data);
    }
    return texts;
}

const DelayWarningRule kFourHours{.after = std::chrono::hours(4),
                                  .max_age = std::chrono::hours(24)};

TEST_F(SchedulerTest, WarnsTheSenderOnceOfARecipientStillDeferredAfterTheDelay) {
    std::string id =
        queue("a@example.com", {"temp-1@example.net", "ok-1@example.net"}, std::chrono::hours(5));
    ScriptedTransport first;
    run_scheduler(first, nullptr, kFourHours);
    const std::string log = mainlog_text();
    const auto warnings =
        reports_in(log, *spool_, id + " delay warning sent to <a@example.com> as ");
    ASSERT_EQ(warnings.size(), 1u) << log;
    EXPECT_NE(warnings[0].find("Action: delayed"), std::string::npos) << warnings[0];
    EXPECT_NE(warnings[0].find("Diagnostic-Code: smtp; 451 4.3.0 try later"), std::string::npos);
    EXPECT_NE(warnings[0].find("Final-Recipient: rfc822; temp-1@example.net"), std::string::npos);
    // Delivered, so not delayed.
    EXPECT_EQ(warnings[0].find("Final-Recipient: rfc822; ok-1@example.net"), std::string::npos);
    auto schedule = spool_->load_schedule(id);
    ASSERT_TRUE(schedule);
    EXPECT_TRUE(schedule->delay_warned);
    ASSERT_NE(schedule->deferral_of("temp-1@example.net"), nullptr);
    EXPECT_EQ(schedule->deferral_of("temp-1@example.net")->reply, "451 4.3.0 try later");

    // After a restart, tried again at once: deferred again, and no second warning.
    schedule->next_attempt = std::chrono::system_clock::now();
    ASSERT_TRUE(spool_->save_schedule(id, *schedule).ok());
    ScriptedTransport second;
    run_scheduler(second, nullptr, kFourHours);
    EXPECT_EQ(second.attempts["temp-1@example.net"], 1);
    const std::string after = mainlog_text();
    EXPECT_EQ(reports_in(after, *spool_, id + " delay warning sent to <a@example.com> as ").size(),
              1u)
        << after;
}

TEST_F(SchedulerTest, WarnsNoOneBeforeTheDelayNorWithWarningsOff) {
    std::string young = queue("a@example.com", {"temp-1@example.net"}, std::chrono::minutes(210));
    ScriptedTransport t;
    run_scheduler(t, nullptr, kFourHours);
    std::string old = queue("a@example.com", {"temp-2@example.net"}, std::chrono::hours(5));
    ScriptedTransport off;
    run_scheduler(
        off, nullptr,
        DelayWarningRule{.after = std::chrono::seconds(0), .max_age = std::chrono::hours(24)});
    EXPECT_EQ(off.attempts["temp-2@example.net"], 1);
    EXPECT_EQ(mainlog_text().find("delay warning"), std::string::npos) << mainlog_text();
    EXPECT_FALSE(spool_->load_schedule(young)->delay_warned);
    EXPECT_FALSE(spool_->load_schedule(old)->delay_warned);
    // Not yet warned: back when the warning falls due, not at the next retry an hour on.
    const auto due = spool_->load_schedule(young)->next_attempt - std::chrono::system_clock::now();
    EXPECT_LT(due, std::chrono::minutes(31));
}

TEST_F(SchedulerTest, AnExpiredMessageBouncesWithItsLastDeferral) {
    std::string id = queue("a@example.com", {"temp-1@example.net"}, std::chrono::hours(25));
    spool::Schedule saved{.attempts = 7,
                          .next_attempt = std::chrono::system_clock::now(),
                          .last_error = "451 4.7.1 greylisted by mx",
                          .deferrals = {{.recipient = "temp-1@example.net",
                                         .reply = "451 4.7.1 greylisted by mx",
                                         .remote_host = "mx.example.net [192.0.2.1]",
                                         .at = std::chrono::system_clock::now()}}};
    ASSERT_TRUE(spool_->save_schedule(id, saved).ok());
    ScriptedTransport t;
    run_scheduler(t, nullptr, kFourHours);
    EXPECT_EQ(t.attempts.count("temp-1@example.net"), 0u) << "expired: not tried again";
    const auto bounces = reports_in(mainlog_text(), *spool_, " bounce ");
    ASSERT_EQ(bounces.size(), 1u) << mainlog_text();
    EXPECT_NE(bounces[0].find("Status: 4.4.7"), std::string::npos) << bounces[0];
    EXPECT_NE(bounces[0].find("Diagnostic-Code: smtp; 451 4.7.1 greylisted by mx"),
              std::string::npos);
    EXPECT_NE(bounces[0].find("Remote-MTA: dns; mx.example.net"), std::string::npos);
    EXPECT_NE(bounces[0].find("message expired: too long in the queue"), std::string::npos);
    EXPECT_EQ(bounces[0].find("delay warning"), std::string::npos);
}

TEST_F(SchedulerTest, APermanentFailureBouncesWithTheReplyAndTheHost) {
    std::string id = queue("a@example.com", {"perm-1@example.net"});
    ScriptedTransport t;
    run_scheduler(t);
    const auto bounces = reports_in(mainlog_text(), *spool_, id + " bounce ");
    ASSERT_EQ(bounces.size(), 1u) << mainlog_text();
    EXPECT_NE(bounces[0].find("Diagnostic-Code: smtp; 550 5.1.1 no such user"), std::string::npos)
        << bounces[0];
    EXPECT_NE(bounces[0].find("Last-Attempt-Date: "), std::string::npos);
}

}  // namespace
}  // namespace herald::queue
