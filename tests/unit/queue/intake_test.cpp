#include "queue/intake.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/blocking_pool.hpp"
#include "log/main_log.hpp"
#include "mailauth/dkim/private_key.hpp"
#include "mailauth/dkim/signer.hpp"
#include "spool/incoming_text.hpp"
#include "spool/spool.hpp"

namespace herald::queue {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;

class IntakeFromLoopTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("herald-intake-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        spool_ = std::make_unique<spool::Spool>(dir_ / "spool");
        ASSERT_TRUE(spool_->open());
        ASSERT_TRUE(spool_->open_journal(std::chrono::milliseconds(0)));
        mainlog_ = std::move(*log::MainLog::open(dir_ / "mainlog"));
        intake_ = std::make_unique<Intake>(*spool_, *mainlog_);
    }
    void TearDown() override {
        intake_.reset();
        spool_.reset();
        fs::remove_all(dir_);
    }

    // accept_from_loop() on an event loop, with `pool`; nullopt when it never finished.
    std::optional<std::variant<Accepted, IntakeFailure>> accept(const spool::IncomingText& text,
                                                                BlockingPool& pool) {
        asio::io_context io;
        std::optional<std::variant<Accepted, IntakeFailure>> outcome;
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                outcome = co_await intake_->accept_from_loop(envelope_, text, header_size(text),
                                                             options_, pool);
            },
            asio::detached);
        io.run_for(std::chrono::seconds(10));
        return outcome;
    }

    static std::uint64_t header_size(const spool::IncomingText& text) {
        std::string all;
        EXPECT_EQ(text.read_at(0, text.size(), all), 0);
        return all.find("\r\n\r\n") + 2;
    }

    std::string mainlog_text() const {
        std::ifstream in(dir_ / "mainlog");
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }

    fs::path dir_;
    std::unique_ptr<spool::Spool> spool_;
    std::unique_ptr<log::MainLog> mainlog_;
    std::unique_ptr<Intake> intake_;
    message::Envelope envelope_{.sender = "a@example.com",
                                .recipients = {"b@example.net"},
                                .arrival = std::chrono::system_clock::now()};
    IntakeOptions options_{.hostname = "mail.example.com"};
};

// A small text is taken on the loop alone: with the pool stopped, it is queued all the same,
// stamped, logged, and handed back as its delivery will read it.
TEST_F(IntakeFromLoopTest, ASmallTextIsQueuedWithoutThePool) {
    BlockingPool stopped(1);
    stopped.stop();
    spool::IncomingText text = spool_->create_incoming();
    text.append("Subject: hi\r\n\r\nbody\r\n");
    auto outcome = accept(text, stopped);
    ASSERT_TRUE(outcome) << "it waited for the pool";
    ASSERT_TRUE(std::holds_alternative<Accepted>(*outcome))
        << std::get<IntakeFailure>(*outcome).message;
    const auto& accepted = std::get<Accepted>(*outcome);
    auto stored = spool_->load_with_data(accepted.id);
    ASSERT_TRUE(stored) << stored.error();
    EXPECT_TRUE(stored->data->starts_with("Received: "));
    EXPECT_TRUE(stored->data->ends_with("Subject: hi\r\n\r\nbody\r\n"));
    ASSERT_TRUE(accepted.as_stored);
    EXPECT_EQ(*accepted.as_stored->data, *stored->data);
    EXPECT_NE(mainlog_text().find(accepted.id), std::string::npos);
}

// A small text to sign is signed on the pool and stored from the loop: with a pool of one
// thread, it is queued and signed.
TEST_F(IntakeFromLoopTest, ASmallTextToSignIsSignedOnThePool) {
    auto key = mailauth::dkim::PrivateKey::generate(mailauth::dkim::Algorithm::ed25519_sha256);
    ASSERT_TRUE(key) << key.error();
    auto signer = mailauth::dkim::Signer::create("s1", *key);
    ASSERT_TRUE(signer) << signer.error();
    options_.dkim.push_back(
        {.signer = std::make_shared<const mailauth::dkim::Signer>(std::move(*signer)),
         .domain = "example.com"});
    BlockingPool pool(1);
    spool::IncomingText text = spool_->create_incoming();
    text.append("From: a@example.com\r\nSubject: hi\r\n\r\nbody\r\n");
    auto outcome = accept(text, pool);
    ASSERT_TRUE(outcome);
    ASSERT_TRUE(std::holds_alternative<Accepted>(*outcome))
        << std::get<IntakeFailure>(*outcome).message;
    auto stored = spool_->read_data(std::get<Accepted>(*outcome).id);
    ASSERT_TRUE(stored) << stored.error();
    EXPECT_TRUE(stored->starts_with("DKIM-Signature: ")) << *stored;
    EXPECT_NE(stored->find("d=example.com"), std::string::npos);
}

// A text that went to its file is read and stored on the pool, as accept() does: this one,
// beyond spool::kMaxJournaledMessage, with a flush of its own.
TEST_F(IntakeFromLoopTest, ATextOnDiskIsStoredOnThePool) {
    BlockingPool pool(1);
    spool::IncomingText text = spool_->create_incoming();
    text.append("Subject: big\r\n\r\n" + std::string(spool::kMaxJournaledMessage, 'x') + "\r\n");
    ASSERT_TRUE(text.on_disk());
    auto outcome = accept(text, pool);
    ASSERT_TRUE(outcome);
    ASSERT_TRUE(std::holds_alternative<Accepted>(*outcome))
        << std::get<IntakeFailure>(*outcome).message;
    const auto& accepted = std::get<Accepted>(*outcome);
    EXPECT_FALSE(accepted.as_stored) << "too large to be handed over";
    EXPECT_TRUE(fs::exists(spool_->path_of(accepted.id))) << "flushed on its own";
    EXPECT_TRUE(spool_->read_data(accepted.id).value().ends_with("x\r\n"));
}

}  // namespace
}  // namespace herald::queue
