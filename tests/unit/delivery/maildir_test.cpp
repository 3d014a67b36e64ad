#include "delivery/transports/maildir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <regex>
#include <set>

#include "transport_test_support.hpp"

namespace herald::delivery {
namespace {

namespace fs = std::filesystem;
using Outcome = RecipientResult::Outcome;
using testing::envelope_from;
using testing::read_file;
using testing::run_delivery;
using testing::TempDir;

constexpr std::string_view kMessage = "Subject: hello\r\nFrom: a@x\r\n\r\nline one\r\nline two\r\n";

std::vector<fs::path> files_in(const fs::path& dir) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir)) files.push_back(entry.path());
    return files;
}

mode_t mode_of(const fs::path& path) {
    struct stat st {};
    ::stat(path.c_str(), &st);
    return st.st_mode & 07777;
}

TEST(MaildirUniqueName, FollowsTheMaildirSpecForm) {
    std::string name = maildir_unique_name(1234);
    std::regex form(R"(^[0-9]+\.M[0-9]+P[0-9]+Q[0-9]+\.[^/:]+,S=1234$)");
    EXPECT_TRUE(std::regex_match(name, form)) << name;
    EXPECT_NE(name.find("P" + std::to_string(::getpid()) + "Q"), std::string::npos);
}

TEST(MaildirUniqueName, NeverRepeatsWithinAProcess) {
    std::set<std::string> names;
    for (int i = 0; i < 1000; ++i) names.insert(maildir_unique_name(1));
    EXPECT_EQ(names.size(), 1000u);
}

TEST(MaildirDeliver, CreatesTheMaildirAndLeavesTheMessageInNew) {
    TempDir tmp;
    auto dir = tmp / "mail/alice";
    auto saved = maildir_deliver(dir, "Subject: x\n\nbody\n");
    ASSERT_TRUE(saved.ok()) << saved.error();
    EXPECT_EQ(saved->parent_path(), dir / "new");
    EXPECT_EQ(read_file(*saved), "Subject: x\n\nbody\n");
    EXPECT_TRUE(saved->filename().string().ends_with(",S=17"));
    EXPECT_TRUE(files_in(dir / "tmp").empty());
    EXPECT_TRUE(files_in(dir / "cur").empty());
    for (const char* sub : {"mail", "mail/alice", "mail/alice/tmp", "mail/alice/new"}) {
        EXPECT_EQ(mode_of(tmp / sub), 0700u) << sub;
    }
    EXPECT_EQ(mode_of(*saved), 0600u);
}

TEST(MaildirDeliver, GivesEachMessageItsOwnFile) {
    TempDir tmp;
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(maildir_deliver(tmp / "box", "m\n").ok());
    EXPECT_EQ(files_in(tmp / "box/new").size(), 5u);
}

TEST(MaildirDeliver, FailsWhenThePathIsAFile) {
    TempDir tmp;
    { std::ofstream(tmp / "plain") << "x"; }
    auto saved = maildir_deliver(tmp / "plain", "m\n");
    ASSERT_FALSE(saved.ok());
    EXPECT_NE(saved.error().find("Not a directory"), std::string::npos) << saved.error();
}

TEST(MaildirTransport, SavesOneCopyPerRecipientWithItsOwnHeaders) {
    TempDir tmp;
    MaildirTransport transport("local", (tmp / "{user}").string());
    auto envelope = envelope_from("sender@x.example", {"Alice@example.com", "bob@example.com"});
    Delivery delivery{"id1", envelope, envelope.recipients, kMessage};
    auto results = run_delivery(transport, delivery);
    ASSERT_EQ(results.size(), 2u);
    for (const auto& [result, user] :
         {std::pair{results[0], "alice"}, std::pair{results[1], "bob"}}) {
        EXPECT_EQ(result.outcome, Outcome::delivered) << result.detail;
        EXPECT_EQ(result.detail, "saved");
        auto files = files_in(tmp / user / "new");
        ASSERT_EQ(files.size(), 1u);
        EXPECT_EQ(result.remote_host, files[0].string());
        EXPECT_EQ(read_file(files[0]),
                  "Return-Path: <sender@x.example>\nDelivered-To: " + result.recipient +
                      "\nSubject: hello\nFrom: a@x\n\nline one\nline two\n");
    }
    EXPECT_EQ(transport.name(), "local");
}

TEST(MaildirTransport, FailsAnUnsafeRecipientAndStillDeliversTheOthers) {
    TempDir tmp;
    MaildirTransport transport("local", (tmp / "{user}").string());
    auto envelope = envelope_from("s@x", {"../evil@example.com", "ok@example.com"});
    auto results = run_delivery(transport, {"id1", envelope, envelope.recipients, kMessage});
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[0].outcome, Outcome::failed);
    EXPECT_EQ(results[1].outcome, Outcome::delivered);
    EXPECT_FALSE(fs::exists(tmp.path().parent_path() / "evil"));
    EXPECT_EQ(files_in(tmp.path()).size(), 1u);
}

TEST(MaildirTransport, DefersWhenTheMailboxCannotBeWritten) {
    TempDir tmp;
    { std::ofstream(tmp / "blocked") << "a file where a directory should be"; }
    MaildirTransport transport("local", (tmp / "blocked/{user}").string());
    auto envelope = envelope_from("s@x", {"a@example.com"});
    auto results = run_delivery(transport, {"id1", envelope, envelope.recipients, kMessage});
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].outcome, Outcome::deferred);
    EXPECT_NE(results[0].detail.find("Not a directory"), std::string::npos) << results[0].detail;
}

TEST(MaildirTransport, KeepsEveryByteOfABinaryOrLargeMessage) {
    TempDir tmp;
    MaildirTransport transport("local", (tmp / "{user}").string());
    std::string data =
        std::string("S: x\r\n\r\n") + std::string("a\0b\xff\r\n", 6) + std::string(3 << 20, 'z');
    auto envelope = envelope_from("s@x", {"a@example.com"});
    auto results = run_delivery(transport, {"id1", envelope, envelope.recipients, data});
    ASSERT_EQ(results.size(), 1u);
    ASSERT_EQ(results[0].outcome, Outcome::delivered) << results[0].detail;
    std::string expected = "Return-Path: <s@x>\nDelivered-To: a@example.com\nS: x\n\n" +
                           std::string("a\0b\xff\n", 5) + std::string(3 << 20, 'z') + "\n";
    EXPECT_EQ(read_file(results[0].remote_host), expected);
}

TEST(MaildirTransport, ReturnsNothingForNoRecipients) {
    TempDir tmp;
    MaildirTransport transport("local", (tmp / "{user}").string());
    auto envelope = envelope_from("s@x", {});
    EXPECT_TRUE(run_delivery(transport, {"id1", envelope, {}, kMessage}).empty());
    EXPECT_TRUE(files_in(tmp.path()).empty());
}

TEST(MaildirTransport, UsesTheGivenBlockingPool) {
    TempDir tmp;
    BlockingPool pool(2);
    MaildirTransport transport("local", (tmp / "{domain}/{user}").string(), &pool);
    auto envelope = envelope_from("s@x", {"a@Example.com"});
    auto results = run_delivery(transport, {"id1", envelope, envelope.recipients, kMessage});
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].outcome, Outcome::delivered) << results[0].detail;
    EXPECT_EQ(files_in(tmp / "example.com/a/new").size(), 1u);
}

}  // namespace
}  // namespace herald::delivery
