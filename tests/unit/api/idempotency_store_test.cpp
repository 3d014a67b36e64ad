#include "api/idempotency_store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

namespace herald::api {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Claim = IdempotencyStore::Claim;
using Answer = IdempotencyStore::Answer;

const IdempotencyStore::Clock::time_point t0{std::chrono::seconds(1'764'000'000)};
constexpr std::chrono::seconds kDay = 24h;

class IdempotencyStoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "idempotency-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
        journal_ = dir_ / "api" / "idempotency.journal";
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::unique_ptr<IdempotencyStore> open(
        IdempotencyStore::Clock::time_point now = t0,
        std::size_t max_entries = IdempotencyStore::kMaxEntries) {
        auto store = IdempotencyStore::open(journal_, kDay, now, max_entries);
        EXPECT_TRUE(store.ok()) << store.error();
        return store.ok() ? std::move(*store) : nullptr;
    }

    std::string journal_text() const {
        std::ifstream in(journal_, std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        return text.str();
    }

    void append_to_journal(std::string_view text) const {
        std::ofstream out(journal_, std::ios::binary | std::ios::app);
        out << text;
    }

    std::size_t journal_lines() const {
        const std::string text = journal_text();
        return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
    }

    // Claims and answers `key` in scope "app" for a body hashed as `hash`.
    static void answer(IdempotencyStore& store, std::string_view key, std::string_view hash,
                       Answer given, IdempotencyStore::Clock::time_point now = t0) {
        ASSERT_EQ(store.claim("app", key, hash, now).claim, Claim::fresh);
        const Status done = store.complete("app", key, std::move(given), now);
        ASSERT_TRUE(done.ok()) << done.error();
    }

    fs::path dir_;
    fs::path journal_;
};

TEST_F(IdempotencyStoreTest, TheFirstClaimIsFreshAndARetryWhileRunningIsInProgress) {
    auto store = open();
    EXPECT_EQ(store->claim("app", "k1", "h1", t0).claim, Claim::fresh);
    EXPECT_EQ(store->claim("app", "k1", "h1", t0 + 1s).claim, Claim::in_progress);
}

TEST_F(IdempotencyStoreTest, ARetryAfterCompleteReplaysTheAnswer) {
    auto store = open();
    answer(*store, "k1", "h1", {202, R"({"id":"q1"})"});
    const auto claimed = store->claim("app", "k1", "h1", t0 + 1h);
    EXPECT_EQ(claimed.claim, Claim::replay);
    EXPECT_EQ(claimed.answer.status, 202u);
    EXPECT_EQ(claimed.answer.body, R"({"id":"q1"})");
}

TEST_F(IdempotencyStoreTest, TheSameKeyWithAnotherBodyIsAMismatch) {
    auto store = open();
    ASSERT_EQ(store->claim("app", "k1", "h1", t0).claim, Claim::fresh);
    EXPECT_EQ(store->claim("app", "k1", "h2", t0).claim, Claim::mismatch);
    ASSERT_TRUE(store->complete("app", "k1", {202, "{}"}, t0).ok());
    EXPECT_EQ(store->claim("app", "k1", "h2", t0).claim, Claim::mismatch);
    EXPECT_EQ(store->claim("app", "k1", "h1", t0).claim, Claim::replay);
}

TEST_F(IdempotencyStoreTest, TheKeysOfTwoClientsNeverMeet) {
    auto store = open();
    answer(*store, "k1", "h1", {202, "{}"});
    EXPECT_EQ(store->claim("other", "k1", "h2", t0).claim, Claim::fresh);
    // The scope's length keeps "ab"+"c" and "a"+"bc" apart.
    EXPECT_EQ(store->claim("ab", "c", "h", t0).claim, Claim::fresh);
    EXPECT_EQ(store->claim("a", "bc", "h", t0).claim, Claim::fresh);
}

TEST_F(IdempotencyStoreTest, AnAbandonedClaimIsFreshAgain) {
    auto store = open();
    ASSERT_EQ(store->claim("app", "k1", "h1", t0).claim, Claim::fresh);
    store->abandon("app", "k1");
    EXPECT_EQ(store->claim("app", "k1", "h2", t0).claim, Claim::fresh);
}

TEST_F(IdempotencyStoreTest, AbandonLeavesAnAnswerAlone) {
    auto store = open();
    answer(*store, "k1", "h1", {202, "{}"});
    store->abandon("app", "k1");
    EXPECT_EQ(store->claim("app", "k1", "h1", t0).claim, Claim::replay);
}

TEST_F(IdempotencyStoreTest, CompleteWithoutAClaimInProgressIsAnError) {
    auto store = open();
    EXPECT_FALSE(store->complete("app", "never", {202, "{}"}, t0).ok());
    answer(*store, "k1", "h1", {202, "first"});
    EXPECT_FALSE(store->complete("app", "k1", {400, "second"}, t0).ok());
    EXPECT_EQ(store->claim("app", "k1", "h1", t0).answer.body, "first");
}

TEST_F(IdempotencyStoreTest, AnAnswerExpiresAfterTheTtl) {
    auto store = open();
    answer(*store, "k1", "h1", {202, "{}"}, t0 + 10s);
    EXPECT_EQ(store->claim("app", "k1", "h1", t0 + 10s + kDay - 1s).claim, Claim::replay);
    EXPECT_EQ(store->claim("app", "k1", "h1", t0 + 10s + kDay).claim, Claim::fresh);
}

TEST_F(IdempotencyStoreTest, ExpiredEntriesAreDroppedFromMemory) {
    auto store = open();
    answer(*store, "k1", "h1", {202, "{}"});
    ASSERT_EQ(store->claim("app", "k2", "h2", t0).claim, Claim::fresh);
    EXPECT_EQ(store->size(), 2u);
    EXPECT_EQ(store->claim("app", "k3", "h3", t0 + kDay).claim, Claim::fresh);
    EXPECT_EQ(store->size(), 1u);
}

TEST_F(IdempotencyStoreTest, AnswersSurviveReopening) {
    {
        auto store = open();
        answer(*store, "k1", "h1", {202, R"({"id":"q1"})"});
        answer(*store, "k2", "h2", {422, R"({"error":"invalid_address"})"});
        ASSERT_EQ(store->claim("app", "running", "h3", t0).claim, Claim::fresh);
    }
    auto store = open(t0 + 1h);
    const auto first = store->claim("app", "k1", "h1", t0 + 1h);
    EXPECT_EQ(first.claim, Claim::replay);
    EXPECT_EQ(first.answer.status, 202u);
    EXPECT_EQ(first.answer.body, R"({"id":"q1"})");
    const auto second = store->claim("app", "k2", "other", t0 + 1h);
    EXPECT_EQ(second.claim, Claim::mismatch);
    EXPECT_EQ(store->claim("app", "k2", "h2", t0 + 1h).answer.status, 422u);
    // A claim never answered died with the process that held it.
    EXPECT_EQ(store->claim("app", "running", "h3", t0 + 1h).claim, Claim::fresh);
}

TEST_F(IdempotencyStoreTest, ReopeningDropsExpiredAnswersFromTheJournal) {
    {
        auto store = open();
        answer(*store, "old", "h1", {202, "{}"}, t0);
        answer(*store, "new", "h2", {202, "{}"}, t0 + 2h);
    }
    EXPECT_EQ(journal_lines(), 2u);
    auto store = open(t0 + kDay + 1h);
    EXPECT_EQ(journal_lines(), 1u);
    EXPECT_EQ(store->claim("app", "old", "h1", t0 + kDay + 1h).claim, Claim::fresh);
    EXPECT_EQ(store->claim("app", "new", "h2", t0 + kDay + 1h).claim, Claim::replay);
}

TEST_F(IdempotencyStoreTest, ATornLastLineAndGarbageLinesAreSkipped) {
    {
        auto store = open();
        answer(*store, "good1", "h1", {202, "one"});
        answer(*store, "good2", "h2", {202, "two"});
    }
    const std::string good = journal_text();
    const std::string second_line = good.substr(good.find('\n') + 1);
    // A line cut short and ended anyway, garbage, a blank line, a forged line with a wrong
    // check, then a last line a crash cut off before its LF.
    std::string cut = second_line.substr(0, second_line.size() - 30) + "\n";
    for (std::size_t at = cut.find("good2"); at != std::string::npos; at = cut.find("good2"))
        cut.replace(at, 5, "good3");
    append_to_journal(cut);
    append_to_journal(std::string("garbage\n\n\0\0\0\n", 13));
    append_to_journal("v1\t1764000000000000\tapp\tforged\th\t202\tbody\t0000000000000000\n");
    std::string torn = second_line;
    torn.replace(torn.find("good2"), 5, "good4");
    append_to_journal(torn.substr(0, torn.size() - 1));

    auto store = open(t0 + 1s);
    EXPECT_EQ(store->claim("app", "good1", "h1", t0 + 1s).answer.body, "one");
    EXPECT_EQ(store->claim("app", "good2", "h2", t0 + 1s).answer.body, "two");
    EXPECT_EQ(store->claim("app", "good3", "h2", t0 + 1s).claim, Claim::fresh);
    EXPECT_EQ(store->claim("app", "forged", "h", t0 + 1s).claim, Claim::fresh);
    EXPECT_EQ(store->claim("app", "good4", "h2", t0 + 1s).claim, Claim::fresh);
    EXPECT_EQ(journal_lines(), 2u);
    EXPECT_EQ(store->skipped_lines(), 6u);
}

TEST_F(IdempotencyStoreTest, AJournalThatIsAllGarbageLoadsEmpty) {
    fs::create_directories(journal_.parent_path());
    append_to_journal(std::string("\xff\x00\n%%%\t\t\t\t\t\t\t\n", 14));
    auto store = open();
    EXPECT_EQ(store->size(), 0u);
    EXPECT_EQ(journal_text(), "");
}

TEST_F(IdempotencyStoreTest, BodiesWithLineBreaksQuotesAndOddBytesRoundTrip) {
    const std::string body = "{\"a\":\"x\\ny\"}\n\r\n\tv1\t%0A\"'\\\x01\x7f\xff";
    const std::string scope = "evil\nv1\t1764000000000000\tapp\tforged";
    {
        auto store = open();
        ASSERT_EQ(store->claim(scope, "k %\"\\", "h1", t0).claim, Claim::fresh);
        ASSERT_TRUE(store->complete(scope, "k %\"\\", {202, body}, t0).ok());
    }
    EXPECT_EQ(journal_lines(), 1u);
    auto store = open(t0 + 1s);
    EXPECT_EQ(store->size(), 1u);
    const auto claimed = store->claim(scope, "k %\"\\", "h1", t0 + 1s);
    EXPECT_EQ(claimed.claim, Claim::replay);
    EXPECT_EQ(claimed.answer.body, body);
    EXPECT_EQ(store->claim("app", "forged", "h1", t0 + 1s).claim, Claim::fresh);
}

TEST_F(IdempotencyStoreTest, TheJournalIsMode0600InAFolderOf0700) {
    auto store = open();
    answer(*store, "k1", "h1", {202, "{}"});
    struct stat file {};
    ASSERT_EQ(::stat(journal_.c_str(), &file), 0);
    EXPECT_EQ(file.st_mode & 0777, 0600u);
    struct stat folder {};
    ASSERT_EQ(::stat(journal_.parent_path().c_str(), &folder), 0);
    EXPECT_EQ(folder.st_mode & 0777, 0700u);
}

TEST_F(IdempotencyStoreTest, AJournalOfAnotherModeIsRewrittenAs0600) {
    fs::create_directories(journal_.parent_path());
    append_to_journal("");
    fs::permissions(journal_, fs::perms::owner_read | fs::perms::owner_write |
                                  fs::perms::group_read | fs::perms::others_read);
    auto store = open();
    struct stat file {};
    ASSERT_EQ(::stat(journal_.c_str(), &file), 0);
    EXPECT_EQ(file.st_mode & 0777, 0600u);
}

TEST_F(IdempotencyStoreTest, AJournalInAFolderThatCannotBeCreatedIsAnError) {
    const fs::path blocker = dir_ / "file";
    std::ofstream(blocker) << "x";
    EXPECT_FALSE(IdempotencyStore::open(blocker / "journal", kDay, t0).ok());
}

TEST_F(IdempotencyStoreTest, BeyondTheEntryLimitTheOldestAreEvicted) {
    auto store = open(t0, 3);
    for (const char* key : {"k1", "k2", "k3", "k4"}) {
        ASSERT_EQ(store->claim("app", key, "h", t0).claim, Claim::fresh);
    }
    EXPECT_EQ(store->size(), 3u);
    EXPECT_EQ(store->evicted(), 1u);
    EXPECT_EQ(store->claim("app", "k4", "h", t0).claim, Claim::in_progress);
    EXPECT_EQ(store->claim("app", "k1", "h", t0).claim, Claim::fresh);  // evicted k1
    EXPECT_EQ(store->claim("app", "k3", "h", t0).claim, Claim::in_progress);
    EXPECT_EQ(store->claim("app", "k2", "h", t0).claim, Claim::fresh);  // evicted again
}

TEST_F(IdempotencyStoreTest, ReopeningKeepsTheNewestAnswersWithinTheEntryLimit) {
    {
        auto store = open();
        for (int i = 0; i < 5; ++i) {
            answer(*store, "k" + std::to_string(i), "h", {202, "{}"}, t0 + std::chrono::seconds(i));
        }
    }
    auto store = open(t0 + 10s, 2);
    EXPECT_EQ(store->size(), 2u);
    EXPECT_EQ(journal_lines(), 2u);
    EXPECT_EQ(store->claim("app", "k4", "h", t0 + 10s).claim, Claim::replay);
    EXPECT_EQ(store->claim("app", "k3", "h", t0 + 10s).claim, Claim::replay);
}

TEST_F(IdempotencyStoreTest, TheJournalIsRewrittenOnceMostOfItIsStale) {
    auto store = open(t0, 10);
    for (int i = 0; i < 1100; ++i) answer(*store, "k" + std::to_string(i), "h", {202, "{}"});
    EXPECT_LT(journal_lines(), 100u);
    EXPECT_LE(store->size(), 10u);
    auto reopened = open(t0, 10);
    EXPECT_EQ(reopened->claim("app", "k1099", "h", t0).claim, Claim::replay);
}

TEST_F(IdempotencyStoreTest, ConcurrentClaimsOfOneKeyGiveOneFresh) {
    auto store = open();
    std::atomic<int> fresh = 0;
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 200; ++i) {
                const std::string key = "k" + std::to_string(i);
                const auto claimed = store->claim("app", key, "h", t0);
                if (claimed.claim == Claim::fresh) {
                    ++fresh;
                    if (i % 50 == t) (void)store->complete("app", key, {202, "{}"}, t0);
                }
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(fresh.load(), 200);
}

TEST(IdempotencyKey, IsOneTo255PrintableAsciiCharacters) {
    EXPECT_TRUE(is_valid_idempotency_key("8e03978e-40d5-43e8-bc93-6894a57f9324"));
    EXPECT_TRUE(is_valid_idempotency_key("a b"));
    EXPECT_TRUE(is_valid_idempotency_key(std::string(255, 'k')));
    EXPECT_FALSE(is_valid_idempotency_key(""));
    EXPECT_FALSE(is_valid_idempotency_key(std::string(256, 'k')));
    EXPECT_FALSE(is_valid_idempotency_key("a\tb"));
    EXPECT_FALSE(is_valid_idempotency_key("a\x7f"));
    EXPECT_FALSE(is_valid_idempotency_key("clé"));
}

TEST(Sha256Hex, MatchesTheFips180TestVectors) {
    EXPECT_EQ(sha256_hex("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace herald::api
