#include "suppression/answer_cache.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <cstring>
#include <fstream>

#include "suppression/suppression_list.hpp"

namespace herald::suppression {
namespace {

namespace fs = std::filesystem;

// A WAL index as SQLite leaves it (walformat.html 2.2.1): two equal copies of the header,
// version 3007000, set up; the rest of the first 32 KiB zero.
struct Header {
    std::uint32_t version = 3007000;
    std::uint8_t is_init = 1;
    std::uint32_t max_frame = 7;
};

class AnswerCacheTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char pattern[] = "/tmp/herald-answers-XXXXXX";
        dir_ = ::mkdtemp(pattern);
        shm_ = dir_ / "suppression.db-shm";
        write(Header{}, Header{});
    }
    void TearDown() override { fs::remove_all(dir_); }

    // Written in place, as SQLite's writers do through their mapping: the watch's mapping sees it.
    void write(const Header& first, const Header& second) {
        std::string index(32768, '\0');
        put(index, 0, first);
        put(index, 48, second);
        std::fstream file(shm_, std::ios::in | std::ios::out | std::ios::binary);
        if (!file) file.open(shm_, std::ios::out | std::ios::binary);
        file.write(index.data(), static_cast<std::streamsize>(index.size()));
    }
    static void put(std::string& index, std::size_t at, const Header& header) {
        std::memcpy(&index[at], &header.version, 4);
        index[at + 12] = static_cast<char>(header.is_init);
        std::memcpy(&index[at + 16], &header.max_frame, 4);
    }

    AnswerCache cache() { return AnswerCache(CommitWatch::open(shm_)); }

    static std::optional<Entry> suppressed() {
        return Entry{.address = "user@example.net", .reason = "gone"};
    }

    fs::path dir_;
    fs::path shm_;
};

TEST_F(AnswerCacheTest, AnAnswerIsKeptWhileNoCommitComes) {
    auto answers = cache();
    ASSERT_EQ(answers.find("k"), nullptr);
    answers.keep("k", suppressed());
    const auto* kept = answers.find("k");
    ASSERT_NE(kept, nullptr);
    ASSERT_TRUE(*kept);
    EXPECT_EQ((*kept)->reason, "gone");
    answers.keep("none", std::nullopt);  // "not on the list" is an answer too
    const auto* none = answers.find("none");
    ASSERT_NE(none, nullptr);
    EXPECT_EQ(*none, std::nullopt);
}

TEST_F(AnswerCacheTest, ACommitDropsEveryAnswer) {
    auto answers = cache();
    ASSERT_EQ(answers.find("k"), nullptr);
    answers.keep("k", suppressed());
    write(Header{.max_frame = 8}, Header{.max_frame = 8});
    EXPECT_EQ(answers.find("k"), nullptr);
}

TEST_F(AnswerCacheTest, WhileACommitIsUnderWayNothingIsKept) {
    auto answers = cache();
    write(Header{.max_frame = 7}, Header{.max_frame = 8});  // the second copy is written first
    ASSERT_EQ(answers.find("k"), nullptr);
    answers.keep("k", suppressed());
    EXPECT_EQ(answers.find("k"), nullptr);
    write(Header{.max_frame = 8}, Header{.max_frame = 8});
    ASSERT_EQ(answers.find("k"), nullptr);
    answers.keep("k", suppressed());
    EXPECT_NE(answers.find("k"), nullptr);
}

TEST_F(AnswerCacheTest, AHeaderNotSetUpOrOfAnotherLayoutKeepsNothing) {
    for (const Header header : {Header{.is_init = 0}, Header{.version = 3007001}}) {
        write(header, header);
        auto answers = cache();
        ASSERT_EQ(answers.find("k"), nullptr);
        answers.keep("k", suppressed());
        EXPECT_EQ(answers.find("k"), nullptr);
    }
}

TEST_F(AnswerCacheTest, WithoutAWalIndexNothingIsKept) {
    fs::resize_file(shm_, 100);  // shorter than the header
    EXPECT_EQ(CommitWatch::open(shm_), nullptr);
    EXPECT_EQ(CommitWatch::open(dir_ / "missing-shm"), nullptr);
    AnswerCache answers(nullptr);
    ASSERT_EQ(answers.find("k"), nullptr);
    answers.keep("k", suppressed());
    EXPECT_EQ(answers.find("k"), nullptr);
}

TEST_F(AnswerCacheTest, AFullCacheStartsAfresh) {
    auto answers = cache();
    ASSERT_EQ(answers.find("first"), nullptr);
    answers.keep("first", std::nullopt);
    for (std::size_t i = 1; i < AnswerCache::kMaxAnswers; ++i) {
        answers.keep(std::to_string(i), std::nullopt);
    }
    EXPECT_NE(answers.find("first"), nullptr);
    answers.keep("one too many", std::nullopt);
    EXPECT_EQ(answers.find("first"), nullptr);
    EXPECT_NE(answers.find("one too many"), nullptr);
}

// What the cache rests on, checked against SQLite itself: a commit, by another connection too,
// changes the header; a read leaves it as it was.
TEST_F(AnswerCacheTest, SqlitesOwnHeaderChangesWithEveryCommitAndNoRead) {
    const fs::path database = dir_ / "real.db";
    auto server = SuppressionList::open(database);
    ASSERT_TRUE(server) << server.error();
    auto cli = SuppressionList::open(database);
    ASSERT_TRUE(cli) << cli.error();
    auto watch = CommitWatch::open(database.string() + "-shm");
    ASSERT_NE(watch, nullptr);
    const auto before = watch->last_commit();
    ASSERT_TRUE(before);
    ASSERT_TRUE((*server)->check("user@example.net", "example.com"));
    EXPECT_EQ(watch->last_commit(), before);
    ASSERT_TRUE((*cli)->add({.address = "user@example.net", .reason = "gone"}));
    const auto added = watch->last_commit();
    ASSERT_TRUE(added);
    EXPECT_NE(added, before);
    ASSERT_TRUE((*cli)->remove("user@example.net", "*"));
    EXPECT_NE(watch->last_commit(), added);
}

}  // namespace
}  // namespace herald::suppression
