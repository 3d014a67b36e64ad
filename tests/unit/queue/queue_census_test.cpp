#include "queue/queue_census.hpp"

#include <gtest/gtest.h>

#include "spool/spool.hpp"

namespace herald::queue {
namespace {

using namespace std::chrono_literals;
using Clock = QueueCensus::Clock;

class NamedTransport : public delivery::Transport {
  public:
    explicit NamedTransport(std::string name) : name_(std::move(name)) {}
    std::string_view name() const override { return name_; }
    boost::asio::awaitable<std::vector<delivery::RecipientResult>> deliver(
        const delivery::Delivery&) override {
        co_return std::vector<delivery::RecipientResult>{};
    }

  private:
    std::string name_;
};

// Mail from the marketing domain goes through the smarthost, the rest direct.
class BySenderDomain : public delivery::TransportSelector {
  public:
    delivery::Transport* transport_for(std::string_view sender, std::string_view) const override {
        return sender.ends_with("@news.example.com") ? &smarthost_ : &direct_;
    }

  private:
    mutable NamedTransport direct_{"direct"};
    mutable NamedTransport smarthost_{"smarthost"};
};

message::Envelope envelope(std::string sender, std::vector<std::string> recipients,
                           Clock::time_point arrival) {
    return {.sender = std::move(sender), .recipients = std::move(recipients), .arrival = arrival};
}

spool::SpooledMessage spooled(std::string id, const message::Envelope& env,
                              std::vector<spool::RecipientState> states) {
    spool::SpooledMessage m{.id = std::move(id), .envelope = env};
    for (std::size_t i = 0; i < states.size(); ++i) {
        m.recipients.push_back({env.recipients[i], states[i]});
    }
    return m;
}

class QueueCensusTest : public ::testing::Test {
  protected:
    BySenderDomain router_;
    QueueCensus census_{router_};
    Clock::time_point now_ = Clock::now();
};

TEST_F(QueueCensusTest, EmptyQueueHasNothing) {
    const auto s = census_.snapshot(now_);
    EXPECT_EQ(s.total.messages, 0u);
    EXPECT_EQ(s.total.oldest_age, 0s);
    EXPECT_TRUE(s.transports.empty());
    EXPECT_TRUE(s.destinations.empty());
}

TEST_F(QueueCensusTest, CountsMessagesAndRecipientsPerTransportAndDomain) {
    census_.place("m1", envelope("a@example.com", {"x@gmail.com", "y@GMAIL.com", "z@yahoo.com"},
                                 now_ - 600s));
    census_.place("m2", envelope("promo@news.example.com", {"w@gmail.com"}, now_ - 60s));
    const auto s = census_.snapshot(now_);
    EXPECT_EQ(s.total.messages, 2u);
    EXPECT_EQ(s.total.recipients, 4u);
    EXPECT_EQ(s.total.oldest_age, 600s);

    EXPECT_EQ(s.transports.at("direct").messages, 1u);
    EXPECT_EQ(s.transports.at("direct").recipients, 3u);
    EXPECT_EQ(s.transports.at("smarthost").messages, 1u);
    EXPECT_EQ(s.transports.at("smarthost").oldest_age, 60s);

    // One message to two gmail recipients counts once as a message, twice as recipients.
    EXPECT_EQ(s.destinations.at("gmail.com").messages, 2u);
    EXPECT_EQ(s.destinations.at("gmail.com").recipients, 3u);
    EXPECT_EQ(s.destinations.at("gmail.com").oldest_age, 600s);
    EXPECT_EQ(s.destinations.at("yahoo.com").recipients, 1u);
}

TEST_F(QueueCensusTest, PlacingAgainReplacesWhatWasCounted) {
    const auto env = envelope("a@example.com", {"x@gmail.com", "z@yahoo.com"}, now_ - 300s);
    census_.place("m1", env);
    census_.place(
        spooled("m1", env, {spool::RecipientState::delivered, spool::RecipientState::pending}));
    const auto s = census_.snapshot(now_);
    EXPECT_EQ(s.total.messages, 1u);
    EXPECT_EQ(s.total.recipients, 1u);
    EXPECT_EQ(s.destinations.at("gmail.com").messages, 0u);
    EXPECT_EQ(s.destinations.at("gmail.com").oldest_age, 0s);
    EXPECT_EQ(s.destinations.at("yahoo.com").messages, 1u);
    EXPECT_EQ(s.destinations.at("yahoo.com").oldest_age, 300s);
}

// A message whose recipients are all done but whose bounce is still to be queued is in the
// queue, but waits for no transport.
TEST_F(QueueCensusTest, MessageWithNothingPendingCountsOnlyInTheTotal) {
    const auto env = envelope("a@example.com", {"x@gmail.com"}, now_ - 5s);
    census_.place(spooled("m1", env, {spool::RecipientState::failed}));
    const auto s = census_.snapshot(now_);
    EXPECT_EQ(s.total.messages, 1u);
    EXPECT_EQ(s.total.recipients, 0u);
    EXPECT_TRUE(s.transports.empty());
}

TEST_F(QueueCensusTest, RemovingTakesTheOldestWithIt) {
    census_.place("old", envelope("a@example.com", {"x@gmail.com"}, now_ - 3600s));
    census_.place("new", envelope("a@example.com", {"y@gmail.com"}, now_ - 10s));
    census_.remove("old");
    census_.remove("never-queued");
    const auto s = census_.snapshot(now_);
    EXPECT_EQ(s.total.messages, 1u);
    EXPECT_EQ(s.total.oldest_age, 10s);
    EXPECT_EQ(s.destinations.at("gmail.com").oldest_age, 10s);
    census_.remove("new");
    EXPECT_EQ(census_.snapshot(now_).total.messages, 0u);
    EXPECT_EQ(census_.snapshot(now_).destinations.at("gmail.com").recipients, 0u);
}

TEST_F(QueueCensusTest, DomainsBeyondTheLimitAreCountedAsOther) {
    for (std::size_t i = 0; i < QueueCensus::kMaxDestinations + 5; ++i) {
        census_.place("m" + std::to_string(i),
                      envelope("a@example.com", {"u@d" + std::to_string(i) + ".example"}, now_));
    }
    census_.place("local", envelope("a@example.com", {"postmaster"}, now_));
    const auto s = census_.snapshot(now_);
    EXPECT_EQ(s.destinations.size(), QueueCensus::kMaxDestinations + 1);
    EXPECT_EQ(s.destinations.at("other").messages, 6u);  // five domains and the bare name
    EXPECT_EQ(s.total.messages, QueueCensus::kMaxDestinations + 6);
}

}  // namespace
}  // namespace herald::queue
