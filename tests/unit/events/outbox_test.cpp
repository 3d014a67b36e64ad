#include "events/outbox.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace herald::events {
namespace {

namespace fs = std::filesystem;

class TempDir {
  public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "herald-outbox-XXXXXX").string();
        path_ = ::mkdtemp(pattern.data());
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    fs::path operator/(const char* name) const { return path_ / name; }

  private:
    fs::path path_;
};

std::string event(std::size_t i) {
    return "{\"id\":\"" + std::to_string(i) + "\",\"type\":\"delivered\"}";
}

std::vector<std::string> events(std::size_t from, std::size_t to) {
    std::vector<std::string> lines;
    for (std::size_t i = from; i < to; ++i) lines.push_back(event(i));
    return lines;
}

std::vector<std::string> lines_of(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

std::string text_of(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<fs::path> segments_in(const fs::path& directory) {
    std::vector<fs::path> segments;
    for (const auto& entry : fs::directory_iterator(directory)) {
        if (entry.path().extension() == ".events") segments.push_back(entry.path());
    }
    std::sort(segments.begin(), segments.end());
    return segments;
}

mode_t mode_of(const fs::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return 0;
    return st.st_mode & 07777;
}

class OutboxTest : public ::testing::Test {
  protected:
    std::unique_ptr<Outbox> open(Outbox::Options options = {}) {
        auto outbox = Outbox::open(directory_, dead_letter_, options);
        EXPECT_TRUE(outbox.ok()) << (outbox.ok() ? "" : outbox.error());
        if (!outbox.ok()) return nullptr;
        return std::move(*outbox);
    }

    static void append_all(Outbox& outbox, std::size_t from, std::size_t to) {
        for (std::size_t i = from; i < to; ++i) {
            auto moved = outbox.append(event(i));
            ASSERT_TRUE(moved.ok()) << moved.error();
            EXPECT_EQ(*moved, 0u);
        }
    }

    static Outbox::Batch peek(Outbox& outbox, std::size_t count) {
        auto batch = outbox.peek(count);
        EXPECT_TRUE(batch.ok()) << (batch.ok() ? "" : batch.error());
        return batch.ok() ? *batch : Outbox::Batch{};
    }

    static void acknowledge(Outbox& outbox, const Outbox::Batch& batch) {
        auto acknowledged = outbox.acknowledge(batch);
        EXPECT_TRUE(acknowledged.ok()) << (acknowledged.ok() ? "" : acknowledged.error());
    }

    TempDir temp_;
    fs::path directory_ = temp_ / "outbox/app";
    fs::path dead_letter_ = temp_ / "outbox/app.dead";
};

TEST_F(OutboxTest, KeepsEventsInOrderAcrossSegments) {
    auto outbox = open({.max_events = 100, .segment_events = 3});
    ASSERT_TRUE(outbox);
    append_all(*outbox, 0, 10);
    EXPECT_EQ(outbox->depth(), 10u);
    EXPECT_EQ(segments_in(directory_).size(), 4u);

    auto all = peek(*outbox, 100);
    EXPECT_EQ(all.first, 0u);
    EXPECT_EQ(all.lines, events(0, 10));

    auto first = peek(*outbox, 4);
    EXPECT_EQ(first.lines, events(0, 4));
    acknowledge(*outbox, first);
    auto rest = peek(*outbox, 100);
    EXPECT_EQ(rest.first, 4u);
    EXPECT_EQ(rest.lines, events(4, 10));
    EXPECT_EQ(outbox->depth(), 6u);
}

TEST_F(OutboxTest, CreatesAPrivateDirectoryAndPrivateFiles) {
    auto outbox = open();
    ASSERT_TRUE(outbox);
    append_all(*outbox, 0, 1);
    acknowledge(*outbox, peek(*outbox, 1));
    EXPECT_EQ(mode_of(directory_), 0700u);
    for (const auto& segment : segments_in(directory_)) EXPECT_EQ(mode_of(segment), 0600u);
    EXPECT_EQ(mode_of(directory_ / "cursor"), 0600u);
}

TEST_F(OutboxTest, KeepsEveryUnacknowledgedEventAfterReopening) {
    auto outbox = open({.max_events = 100, .segment_events = 3});
    ASSERT_TRUE(outbox);
    append_all(*outbox, 0, 7);
    outbox.reset();

    outbox = open({.max_events = 100, .segment_events = 3});
    ASSERT_TRUE(outbox);
    EXPECT_EQ(outbox->depth(), 7u);
    EXPECT_EQ(peek(*outbox, 100).lines, events(0, 7));
    append_all(*outbox, 7, 9);
    EXPECT_EQ(peek(*outbox, 100).lines, events(0, 9));
}

TEST_F(OutboxTest, AnAcknowledgementSurvivesReopening) {
    auto outbox = open({.max_events = 100, .segment_events = 2});
    ASSERT_TRUE(outbox);
    append_all(*outbox, 0, 5);
    acknowledge(*outbox, peek(*outbox, 3));
    outbox.reset();

    const std::string cursor = text_of(directory_ / "cursor");
    unsigned long long segment = 0, offset = 0;
    char newline = 0;
    EXPECT_EQ(std::sscanf(cursor.c_str(), "%llu %llu%c", &segment, &offset, &newline), 3) << cursor;
    EXPECT_EQ(newline, '\n');

    outbox = open({.max_events = 100, .segment_events = 2});
    ASSERT_TRUE(outbox);
    EXPECT_EQ(outbox->depth(), 2u);
    EXPECT_EQ(peek(*outbox, 100).lines, events(3, 5));
}

TEST_F(OutboxTest, DropsATornLastLineOnOpenAndKeepsTheRest) {
    auto outbox = open();
    ASSERT_TRUE(outbox);
    append_all(*outbox, 0, 3);
    outbox.reset();
    const auto segments = segments_in(directory_);
    ASSERT_FALSE(segments.empty());
    {
        std::ofstream torn(segments.back(), std::ios::binary | std::ios::app);
        torn << "{\"id\":\"3\",\"ty";  // killed in the middle of a write
    }

    outbox = open();
    ASSERT_TRUE(outbox);
    EXPECT_EQ(outbox->depth(), 3u);
    EXPECT_EQ(peek(*outbox, 100).lines, events(0, 3));
    append_all(*outbox, 3, 4);
    EXPECT_EQ(peek(*outbox, 100).lines, events(0, 4));
    EXPECT_EQ(lines_of(segments.back()), events(0, 4));
}

TEST_F(OutboxTest, MovesTheOldestToTheDeadLetterFileBeyondMaxEvents) {
    // Segments of 2 events (max_events / 4 caps the 4 asked for).
    auto outbox = open({.max_events = 10, .segment_events = 4});
    ASSERT_TRUE(outbox);
    std::size_t moved = 0;
    for (std::size_t i = 0; i < 25; ++i) {
        auto result = outbox->append(event(i));
        ASSERT_TRUE(result.ok()) << result.error();
        EXPECT_TRUE(*result == 0 || *result == 2) << "a whole segment at once, not " << *result;
        moved += *result;
        EXPECT_LE(outbox->depth(), 10u);
    }
    EXPECT_EQ(moved, 16u);
    EXPECT_EQ(moved + outbox->depth(), 25u);
    EXPECT_EQ(lines_of(dead_letter_), events(0, moved));
    EXPECT_EQ(mode_of(dead_letter_), 0600u);
    auto rest = peek(*outbox, 100);
    EXPECT_EQ(rest.first, moved);
    EXPECT_EQ(rest.lines, events(moved, 25));

    // The cursor moved past them on disk too.
    outbox.reset();
    outbox = open({.max_events = 10, .segment_events = 4});
    ASSERT_TRUE(outbox);
    EXPECT_EQ(peek(*outbox, 100).lines, events(moved, 25));
}

TEST_F(OutboxTest, ABatchDeadLetteredInFlightIsAcknowledgedOnlyForItsRemainder) {
    auto outbox = open({.max_events = 8, .segment_events = 2});
    ASSERT_TRUE(outbox);
    append_all(*outbox, 0, 8);
    auto in_flight = peek(*outbox, 3);
    ASSERT_EQ(in_flight.lines, events(0, 3));

    auto moved = outbox->append(event(8));  // the segment of events 0 and 1 goes
    ASSERT_TRUE(moved.ok()) << moved.error();
    EXPECT_EQ(*moved, 2u);
    EXPECT_EQ(outbox->depth(), 7u);

    acknowledge(*outbox, in_flight);  // only event 2 is still at the head
    EXPECT_EQ(outbox->depth(), 6u);
    auto next = peek(*outbox, 1);
    EXPECT_EQ(next.first, 3u);
    EXPECT_EQ(next.lines, events(3, 4));

    // A batch moved away whole acknowledges nothing.
    append_all(*outbox, 9, 11);
    moved = outbox->append(event(11));  // the rest of the head segment: event 3
    ASSERT_TRUE(moved.ok()) << moved.error();
    EXPECT_EQ(*moved, 1u);
    const std::size_t depth = outbox->depth();
    acknowledge(*outbox, next);
    EXPECT_EQ(outbox->depth(), depth);
    EXPECT_EQ(peek(*outbox, 1).lines, events(4, 5));
    EXPECT_EQ(lines_of(dead_letter_), (std::vector<std::string>{event(0), event(1), event(3)}));
}

TEST_F(OutboxTest, AcknowledgingEventsThatAreNotHeldIsAnErrorAndChangesNothing) {
    auto outbox = open();
    ASSERT_TRUE(outbox);
    append_all(*outbox, 0, 3);
    EXPECT_FALSE(outbox->acknowledge(Outbox::Batch{.first = 1, .lines = {event(1)}}).ok());
    EXPECT_FALSE(outbox->acknowledge(Outbox::Batch{.first = 0, .lines = events(0, 4)}).ok());
    EXPECT_EQ(outbox->depth(), 3u);
    EXPECT_EQ(peek(*outbox, 100).lines, events(0, 3));
}

TEST_F(OutboxTest, RefusesALineWithANewlineInside) {
    auto outbox = open();
    ASSERT_TRUE(outbox);
    EXPECT_FALSE(outbox->append("{}\n{}").ok());
    EXPECT_EQ(outbox->depth(), 0u);
}

TEST_F(OutboxTest, DeletesSegmentsOnceAcknowledged) {
    auto outbox = open({.max_events = 100, .segment_events = 2});
    ASSERT_TRUE(outbox);
    append_all(*outbox, 0, 10);
    EXPECT_EQ(segments_in(directory_).size(), 5u);

    acknowledge(*outbox, peek(*outbox, 6));
    EXPECT_EQ(segments_in(directory_).size(), 2u);

    acknowledge(*outbox, peek(*outbox, 4));
    EXPECT_EQ(outbox->depth(), 0u);
    EXPECT_EQ(segments_in(directory_).size(), 1u);  // the one appended to stays

    outbox.reset();
    outbox = open({.max_events = 100, .segment_events = 2});
    ASSERT_TRUE(outbox);
    EXPECT_EQ(outbox->depth(), 0u);
    EXPECT_TRUE(peek(*outbox, 10).lines.empty());
    EXPECT_LE(segments_in(directory_).size(), 2u);
}

TEST_F(OutboxTest, Handles100000EventsInReasonableTime) {
    const auto start = std::chrono::steady_clock::now();
    auto outbox = open();
    ASSERT_TRUE(outbox);
    constexpr std::size_t kEvents = 100000;
    append_all(*outbox, 0, kEvents);
    ASSERT_TRUE(outbox->sync().ok());
    EXPECT_EQ(outbox->depth(), kEvents);

    std::size_t next = 0;
    while (next < kEvents) {
        auto batch = peek(*outbox, 1000);
        ASSERT_EQ(batch.first, next);
        ASSERT_FALSE(batch.lines.empty());
        for (const auto& line : batch.lines) ASSERT_EQ(line, event(next++));
        acknowledge(*outbox, batch);
    }
    EXPECT_EQ(outbox->depth(), 0u);
    EXPECT_EQ(segments_in(directory_).size(), 1u);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

TEST_F(OutboxTest, ConcurrentAppendsWhileAnotherThreadPeeksLoseNothingAndDuplicateNothing) {
    auto outbox = open({.max_events = 1000000, .segment_events = 64});
    ASSERT_TRUE(outbox);
    constexpr int kThreads = 4;
    constexpr int kEach = 5000;
    std::atomic<bool> producers_failed = false;
    std::vector<std::thread> producers;
    for (int t = 0; t < kThreads; ++t) {
        producers.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                auto moved = outbox->append("{\"t\":" + std::to_string(t) +
                                            ",\"i\":" + std::to_string(i) + "}");
                if (!moved.ok() || *moved != 0) producers_failed = true;
            }
        });
    }
    std::atomic<bool> consumed = false;
    std::thread syncer([&] {
        while (!consumed) {
            (void)outbox->sync();
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    });

    std::array<int, kThreads> next{};
    int received = 0;
    bool in_order = true;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (received < kThreads * kEach && std::chrono::steady_clock::now() < deadline) {
        auto batch = outbox->peek(100);
        if (!batch.ok()) {
            ADD_FAILURE() << batch.error();
            break;
        }
        if (batch->lines.empty()) {
            std::this_thread::yield();
            continue;
        }
        for (const auto& line : batch->lines) {
            int t = -1, i = -1;
            if (std::sscanf(line.c_str(), "{\"t\":%d,\"i\":%d}", &t, &i) != 2 || t < 0 ||
                t >= kThreads || next[static_cast<std::size_t>(t)] != i) {
                in_order = false;
            } else {
                ++next[static_cast<std::size_t>(t)];
            }
            ++received;
        }
        auto acknowledged = outbox->acknowledge(*batch);
        if (!acknowledged.ok()) {
            ADD_FAILURE() << acknowledged.error();
            break;
        }
    }
    for (auto& producer : producers) producer.join();
    consumed = true;
    syncer.join();

    EXPECT_FALSE(producers_failed);
    EXPECT_TRUE(in_order) << "each thread's events arrive once each, in the order appended";
    EXPECT_EQ(received, kThreads * kEach);
    for (int count : next) EXPECT_EQ(count, kEach);
    EXPECT_EQ(outbox->depth(), 0u);
}

TEST_F(OutboxTest, ASecondOutboxOnTheSameDirectoryIsAnError) {
    auto outbox = open();
    ASSERT_TRUE(outbox);
    auto second = Outbox::open(directory_, dead_letter_, {});
    EXPECT_FALSE(second.ok());
}

TEST(OutboxOpen, AnUnwritableDirectoryGivesAnError) {
    TempDir temp;
    { std::ofstream(temp / "file") << "not a directory"; }
    auto outbox = Outbox::open(temp / "file" / "app", temp / "app.dead", {});
    ASSERT_FALSE(outbox.ok());
    EXPECT_NE(outbox.error().find((temp / "file").string()), std::string::npos) << outbox.error();
}

TEST(OutboxOpen, ADirectoryWithoutWritePermissionGivesAnError) {
    if (::geteuid() == 0) GTEST_SKIP() << "root writes through the permission bits";
    TempDir temp;
    fs::create_directory(temp / "app");
    fs::permissions(temp / "app", fs::perms::owner_read | fs::perms::owner_exec);
    auto outbox = Outbox::open(temp / "app", temp / "app.dead", {});
    EXPECT_FALSE(outbox.ok());
    fs::permissions(temp / "app", fs::perms::owner_all);
}

}  // namespace
}  // namespace herald::events
