#include "suppression/suppressions.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

namespace herald::suppression {
namespace {

namespace fs = std::filesystem;

class Collector final : public events::EventSink {
  public:
    std::string_view name() const override { return "collector"; }
    void take(const events::Event& event, std::string_view) override { seen.push_back(event); }
    std::vector<events::Event> seen;
};

class SuppressionsTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char pattern[] = "/tmp/herald-suppressions-XXXXXX";
        dir_ = ::mkdtemp(pattern);
        auto list = SuppressionList::open(dir_ / "suppression.db");
        ASSERT_TRUE(list) << list.error();
        auto collector = std::make_unique<Collector>();
        seen_ = collector.get();
        hub_.add(std::move(collector));
        suppressions_ = std::make_unique<Suppressions>(
            std::move(*list), config::Suppression{},
            [this](const std::string& what) { troubles_.push_back(what); }, &hub_);
    }
    void TearDown() override {
        suppressions_.reset();
        fs::remove_all(dir_);
    }

    events::Event bounce(std::string category, std::optional<std::string> sender) {
        auto event = events::Event::now(events::EventType::bounced);
        event.recipient = "Bob@Example.NET";
        event.sender = std::move(sender);
        event.category = std::move(category);
        event.reply = "550 5.1.1 no such user";
        return event;
    }

    fs::path dir_;
    events::EventHub hub_;
    Collector* seen_ = nullptr;
    std::vector<std::string> troubles_;
    std::unique_ptr<Suppressions> suppressions_;
};

TEST_F(SuppressionsTest, AHardBounceSuppressesTheRecipientForItsSenderDomainOnly) {
    suppressions_->watch(bounce("invalid-recipient", "news@Shop.example"));
    const auto why = suppressions_->why("other@shop.example", "bob@example.net");
    ASSERT_TRUE(why);
    EXPECT_TRUE(why->starts_with("suppressed since ")) << *why;
    EXPECT_NE(why->find("invalid-recipient: 550 5.1.1 no such user"), std::string::npos) << *why;
    EXPECT_FALSE(suppressions_->why("a@elsewhere.example", "bob@example.net"));
}

TEST_F(SuppressionsTest, ACategoryOutsideAddOnSuppressesNothing) {
    suppressions_->watch(bounce("mailbox-full", "news@shop.example"));
    suppressions_->watch(bounce("transient-failure", "news@shop.example"));
    EXPECT_FALSE(suppressions_->why("news@shop.example", "bob@example.net"));
}

TEST_F(SuppressionsTest, AReportThatDoesNotNameTheSenderSuppressesForEveryone) {
    suppressions_->watch(bounce("invalid-recipient", std::nullopt));
    EXPECT_TRUE(suppressions_->why("a@anyone.example", "bob@example.net"));
}

TEST_F(SuppressionsTest, ABounceOfABounceSuppressesNothing) {
    suppressions_->watch(bounce("invalid-recipient", ""));
    EXPECT_FALSE(suppressions_->why("", "bob@example.net"));
    EXPECT_FALSE(suppressions_->why("a@anyone.example", "bob@example.net"));
}

TEST_F(SuppressionsTest, AComplaintSuppressesForItsSenderDomain) {
    auto event = events::Event::now(events::EventType::complaint);
    event.recipient = "carol@example.org";
    event.sender = "news@shop.example";
    event.feedback_type = "abuse";
    suppressions_->watch(event);
    const auto why = suppressions_->why("news@shop.example", "carol@example.org");
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("complaint (abuse)"), std::string::npos) << *why;
}

TEST_F(SuppressionsTest, TheGateRefusesWithAnEventThatSaysSinceWhenAndWhy) {
    ASSERT_TRUE(suppressions_->list().add({.address = "dave@example.net",
                                           .scope = "*",
                                           .reason = "asked",
                                           .source = "cli",
                                           .created = 1'796'288'400}));
    const auto gate = suppressions_->for_gate();
    EXPECT_FALSE(gate.lookup("a@shop.example", "erin@example.net", "alice"));
    EXPECT_TRUE(seen_->seen.empty());
    const auto refused = gate.lookup("a@shop.example", "dave@example.net", "alice");
    ASSERT_TRUE(refused);
    EXPECT_EQ(*refused, "suppressed since 2026-12-03: asked");
    ASSERT_EQ(seen_->seen.size(), 1u);
    const auto& event = seen_->seen.front();
    EXPECT_EQ(event.type, events::EventType::suppressed);
    EXPECT_EQ(event.recipient, "dave@example.net");
    EXPECT_EQ(event.user, "alice");
    EXPECT_EQ(event.since, "2026-12-03");
    EXPECT_EQ(event.reason, "asked");
    EXPECT_TRUE(troubles_.empty());
}

TEST_F(SuppressionsTest, AnUnsubscribeFromAListSuppressesThatListOnly) {
    auto event = events::Event::now(events::EventType::unsubscribed);
    event.recipient = "carol@example.net";
    event.domain = "shop.example";
    event.list = "deals.shop.example";
    suppressions_->watch(event);
    EXPECT_FALSE(suppressions_->why("a@shop.example", "carol@example.net"));
    EXPECT_FALSE(suppressions_->why("a@shop.example", "carol@example.net", "news.shop.example"));
    const auto why =
        suppressions_->why("a@shop.example", "carol@example.net", "deals.shop.example");
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("unsubscribed from deals.shop.example"), std::string::npos) << *why;
    // Without a list, the domain's list.
    event.recipient = "dan@example.net";
    event.list.clear();
    suppressions_->watch(event);
    EXPECT_TRUE(suppressions_->why("a@shop.example", "dan@example.net"));
}

TEST_F(SuppressionsTest, AMessageIsRefusedOnItsListOnlyWhenEveryRecipientLeftIt) {
    for (const char* address : {"carol@example.net", "dan@example.net"}) {
        ASSERT_TRUE(suppressions_->list().add({.address = address,
                                               .scope = "shop.example:deals.shop.example",
                                               .reason = "unsubscribed from deals.shop.example",
                                               .source = "unsubscribe"}));
    }
    ASSERT_TRUE(suppressions_->list().add(
        {.address = "erin@example.net", .scope = "shop.example", .reason = "r", .source = "cli"}));
    const auto gate = suppressions_->for_gate();
    const std::vector<std::string> both = {"carol@example.net", "dan@example.net"};
    const auto refused = gate.on_list("a@shop.example", both, "alice", "deals.shop.example");
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->rfind("<carol@example.net> suppressed since ", 0), 0u) << *refused;
    EXPECT_EQ(seen_->seen.size(), 2u);  // an event per recipient
    EXPECT_FALSE(gate.on_list("a@shop.example", both, "alice", "news.shop.example"));
    // One recipient still on the list: the message goes (the others are dropped at delivery).
    EXPECT_FALSE(gate.on_list("a@shop.example", {"carol@example.net", "fay@example.net"}, "alice",
                              "deals.shop.example"));
    // The domain's entry was RCPT's to refuse.
    EXPECT_FALSE(
        gate.on_list("a@shop.example", {"erin@example.net"}, "alice", "deals.shop.example"));
    EXPECT_EQ(seen_->seen.size(), 2u);
}

}  // namespace
}  // namespace herald::suppression
