#include "policy/local_recipients.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace herald::policy {
namespace {

class LocalRecipientsTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir = std::filesystem::temp_directory_path() /
              ("herald-local-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(dir);
        local.domains = {"local.test", "second.test"};
    }
    void TearDown() override { std::filesystem::remove_all(dir); }

    std::filesystem::path write(const std::string& name, const std::string& text) {
        auto path = dir / name;
        std::ofstream(path) << text;
        return path;
    }
    LocalRecipients loaded() {
        auto result = LocalRecipients::load(local, "mail.herald.test");
        EXPECT_TRUE(result.ok()) << result.error();
        return std::move(*result);
    }

    std::filesystem::path dir;
    config::Local local;
};

TEST_F(LocalRecipientsTest, AcceptsOnlyListedMailboxesAndPostmaster) {
    local.recipients = {"alice", "bob@second.test"};
    local.recipients_file = write("recipients", "# staff\ncarol\n\n  dave@local.test  # ops\n");
    const auto recipients = loaded();
    EXPECT_TRUE(recipients.accepts("alice@local.test"));
    EXPECT_TRUE(recipients.accepts("Alice@LOCAL.test"));  // mailbox names fold to lower case
    EXPECT_TRUE(recipients.accepts("alice@second.test"));
    EXPECT_TRUE(recipients.accepts("bob@second.test"));
    EXPECT_FALSE(recipients.accepts("bob@local.test"));
    EXPECT_TRUE(recipients.accepts("carol@second.test"));
    EXPECT_TRUE(recipients.accepts("dave@local.test"));
    EXPECT_FALSE(recipients.accepts("dave@second.test"));
    EXPECT_FALSE(recipients.accepts("mallory@local.test"));
    EXPECT_TRUE(recipients.accepts("postmaster@second.test"));
    EXPECT_TRUE(recipients.accepts("postmaster"));
    EXPECT_FALSE(recipients.accepts("alice@elsewhere.test"));
    EXPECT_FALSE(recipients.accepts("\"alice\"@local.test"));  // never canonical: refused
}

TEST_F(LocalRecipientsTest, ExpandsAliasesAndPostmaster) {
    local.recipients = {"alice"};
    local.aliases_file =
        write("aliases",
              "team: alice, bob@partner.example\npostmaster: alice\nsales@second.test: alice\n");
    const auto recipients = loaded();
    EXPECT_TRUE(recipients.accepts("team@local.test"));
    EXPECT_TRUE(recipients.accepts("sales@second.test"));
    EXPECT_FALSE(recipients.accepts("sales@local.test"));
    EXPECT_EQ(recipients.delivery_addresses("team@local.test"),
              (std::vector<std::string>{"alice@local.test", "bob@partner.example"}));
    EXPECT_EQ(recipients.delivery_addresses("postmaster"),
              std::vector<std::string>{"alice@local.test"});
    EXPECT_EQ(recipients.delivery_addresses("alice@local.test"),
              std::vector<std::string>{"alice@local.test"});
    EXPECT_EQ(recipients.delivery_addresses("x@remote.example"),
              std::vector<std::string>{"x@remote.example"});
}

TEST_F(LocalRecipientsTest, SendsPostmasterWhereTheConfigSays) {
    local.postmaster = "Hostmaster@Example.COM";
    EXPECT_EQ(loaded().delivery_addresses("postmaster"),
              std::vector<std::string>{"Hostmaster@example.com"});
    local.postmaster.clear();
    local.domains.clear();
    EXPECT_EQ(loaded().delivery_addresses("postmaster"),
              std::vector<std::string>{"postmaster@mail.herald.test"});
}

TEST_F(LocalRecipientsTest, NamesTheFileAndLineOfABadEntry) {
    local.recipients_file = write("recipients", "alice\n../etc/passwd\n");
    auto result = LocalRecipients::load(local, "mail.herald.test");
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().find("recipients:2:"), std::string::npos) << result.error();

    local.recipients_file.clear();
    local.aliases_file = write("aliases", "team alice\n");
    result = LocalRecipients::load(local, "mail.herald.test");
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().find("aliases:1:"), std::string::npos) << result.error();

    local.aliases_file = dir / "missing";
    EXPECT_FALSE(LocalRecipients::load(local, "mail.herald.test").ok());
}

}  // namespace
}  // namespace herald::policy
