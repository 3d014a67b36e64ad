#include "spool/spool.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "spool/journal.hpp"
#include "spool/journal_record.hpp"
#include "spool/message_id.hpp"
#include "spool/spool_lock.hpp"

namespace herald::spool {
namespace {
namespace fs = std::filesystem;

class TempDir {
  public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "herald-spool-XXXXXX").string();
        path_ = ::mkdtemp(pattern.data());
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

TEST(SpoolLock, OneHolderAtATimeAndFreeOnceItIsGone) {
    TempDir dir;
    {
        auto first = SpoolLock::acquire(dir.path());
        ASSERT_TRUE(first) << first.error();
        auto second = SpoolLock::acquire(dir.path());
        ASSERT_FALSE(second);
        EXPECT_NE(second.error().find("is in use by another herald serve"), std::string::npos);
    }
    EXPECT_TRUE(SpoolLock::acquire(dir.path()));
    EXPECT_FALSE(SpoolLock::acquire(dir.path() / "missing"));
}

message::Envelope envelope_to(std::vector<std::string> recipients) {
    message::Envelope env;
    env.sender = "alice@example.com";
    env.recipients = std::move(recipients);
    env.helo = "client.example.com";
    env.client_ip = "192.0.2.7";
    env.protocol = "esmtp";
    env.arrival =
        std::chrono::system_clock::time_point(std::chrono::microseconds(1764000000123456));
    return env;
}

const std::string kData = "Subject: hello\r\n\r\nbody line\r\n";

std::string file_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

void write_bytes(const fs::path& path, std::string_view bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::size_t entries_in(const fs::path& dir) {
    return static_cast<std::size_t>(
        std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

class SpoolTest : public ::testing::Test {
  protected:
    void SetUp() override { ASSERT_TRUE(spool_.open()); }

    std::string store_one(std::vector<std::string> recipients = {"bob@example.net",
                                                                 "carol@example.org"}) {
        auto id = new_message_id();
        auto stored = spool_.store(id, envelope_to(std::move(recipients)), kData);
        EXPECT_TRUE(stored) << stored.error();
        return id;
    }

    TempDir dir_;
    Spool spool_{dir_.path() / "spool"};
};

TEST_F(SpoolTest, OpenCreatesAPrivateLayout) {
    auto root = dir_.path() / "spool";
    for (auto sub : {"incoming", "queue", "queue/00", "queue/ff", "schedule/a7", "corrupt"}) {
        EXPECT_TRUE(fs::is_directory(root / sub)) << sub;
    }
    EXPECT_EQ(fs::status(root / "queue").permissions() & fs::perms::all, fs::perms::owner_all);
    EXPECT_TRUE(spool_.open());  // and again, on an existing layout
}

TEST_F(SpoolTest, StoredMessageLoadsBackWithItsEnvelopeAndData) {
    message::Envelope env = envelope_to({"bob@example.net", "carol@example.org"});
    env.sender = "";
    env.auth_user = "alice";
    env.smtputf8 = true;
    auto id = new_message_id();
    ASSERT_TRUE(spool_.store(id, env, kData));

    auto loaded = spool_.load(id);
    ASSERT_TRUE(loaded) << loaded.error();
    EXPECT_EQ(loaded->id, id);
    EXPECT_EQ(loaded->envelope.sender, "");
    EXPECT_EQ(loaded->envelope.recipients, env.recipients);
    EXPECT_EQ(loaded->envelope.auth_user, "alice");
    EXPECT_TRUE(loaded->envelope.smtputf8);
    EXPECT_EQ(loaded->envelope.arrival, env.arrival);
    ASSERT_EQ(loaded->recipients.size(), 2u);
    EXPECT_EQ(loaded->recipients[1].address, "carol@example.org");
    EXPECT_EQ(loaded->recipients[1].state, RecipientState::pending);
    EXPECT_FALSE(loaded->held);
    EXPECT_FALSE(loaded->finished());
    EXPECT_EQ(loaded->data_size, kData.size());
    EXPECT_EQ(spool_.read_data(id).value(), kData);
    EXPECT_EQ(spool_.list(), std::vector<std::string>{id});
    EXPECT_EQ(entries_in(dir_.path() / "spool" / "incoming"), 0u);
}

TEST_F(SpoolTest, BinaryDataAndEmptyDataSurviveUnchanged) {
    std::string binary;
    for (int i = 0; i < 100000; ++i) binary.push_back(static_cast<char>(i * 7));
    binary += "\nE\nD 3\n";
    auto a = new_message_id();
    auto b = new_message_id();
    ASSERT_TRUE(spool_.store(a, envelope_to({"x@y"}), binary));
    ASSERT_TRUE(spool_.store(b, envelope_to({"x@y"}), ""));
    EXPECT_EQ(spool_.read_data(a).value(), binary);
    EXPECT_EQ(spool_.read_data(b).value(), "");
    // Beyond the first read of the file, and within it.
    EXPECT_EQ(spool_.load_with_data(a)->data.value(), binary);
    EXPECT_EQ(spool_.load_with_data(b)->data.value(), "");
}

TEST_F(SpoolTest, LoadWithDataGivesTheEnvelopeAndTheDataOfOneMessage) {
    auto id = store_one({"a@x", "b@x"});
    auto loaded = spool_.load_with_data(id);
    ASSERT_TRUE(loaded) << loaded.error();
    EXPECT_EQ(loaded->message.id, id);
    EXPECT_EQ(loaded->message.envelope.recipients, (std::vector<std::string>{"a@x", "b@x"}));
    EXPECT_EQ(loaded->message.data_size, kData.size());
    EXPECT_EQ(loaded->data.value(), kData);
    EXPECT_FALSE(spool_.load_with_data(new_message_id()));
    EXPECT_FALSE(spool_.load_with_data("../escape"));
}

TEST_F(SpoolTest, HostileEnvelopeValuesRoundTripWithoutBreakingTheFile) {
    message::Envelope env = envelope_to({"a@b\r\nRD forged@x", "%41@example.com"});
    env.helo = std::string("evil\nF h\0", 9);
    auto id = new_message_id();
    ASSERT_TRUE(spool_.store(id, env, kData));
    auto loaded = spool_.load(id);
    ASSERT_TRUE(loaded) << loaded.error();
    EXPECT_EQ(loaded->envelope.helo, env.helo);
    EXPECT_EQ(loaded->envelope.recipients, env.recipients);
    EXPECT_FALSE(loaded->held);
    EXPECT_EQ(loaded->recipients[0].state, RecipientState::pending);
}

TEST_F(SpoolTest, AnExistingIdIsNeverOverwritten) {
    auto id = store_one({"first@example.com"});
    auto again = spool_.store(id, envelope_to({"second@example.com"}), "other");
    EXPECT_FALSE(again);
    EXPECT_FALSE(again.disk_full());
    EXPECT_EQ(spool_.load(id)->envelope.recipients[0], "first@example.com");
    EXPECT_EQ(spool_.read_data(id).value(), kData);
    EXPECT_EQ(entries_in(dir_.path() / "spool" / "incoming"), 0u);
}

TEST_F(SpoolTest, IdsThatCouldEscapeTheSpoolAreRefused) {
    for (std::string bad : {"../x", "a/b", "", ".hidden", "x.y"}) {
        EXPECT_FALSE(spool_.store(bad, envelope_to({"x@y"}), kData)) << bad;
        EXPECT_FALSE(spool_.load(bad)) << bad;
        EXPECT_FALSE(spool_.remove(bad)) << bad;
    }
}

TEST_F(SpoolTest, EightThreadsStoringAtOnceLoseNothingAndShareDirectorySyncs) {
    constexpr int kThreads = 8, kEach = 40;
    std::vector<std::vector<std::string>> ids(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                auto id = new_message_id();
                std::string data = "thread " + std::to_string(t) + " message " + std::to_string(i);
                if (spool_.store(id, envelope_to({"t" + std::to_string(t) + "@x"}), data)) {
                    ids[t].push_back(id);
                }
            }
        });
    }
    for (auto& thread : threads) thread.join();
    std::set<std::string> all;
    for (int t = 0; t < kThreads; ++t) {
        ASSERT_EQ(ids[t].size(), static_cast<std::size_t>(kEach));
        for (int i = 0; i < kEach; ++i) {
            EXPECT_EQ(spool_.read_data(ids[t][i]).value(),
                      "thread " + std::to_string(t) + " message " + std::to_string(i));
            all.insert(ids[t][i]);
        }
    }
    auto listed = spool_.list();
    EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()), all);
    EXPECT_LT(spool_.directory_sync_rounds(), static_cast<std::uint64_t>(kThreads * kEach));
}

TEST_F(SpoolTest, ATruncatedFileIsNeverCompleteAtAnyLength) {
    auto id = store_one();
    auto path = spool_.path_of(id);
    const std::string whole = file_bytes(path);
    ASSERT_GT(whole.size(), kData.size());
    auto corrupt = dir_.path() / "spool" / "corrupt" / id;
    for (std::size_t n = 0; n <= whole.size() + 1; ++n) {
        if (n == whole.size()) continue;
        write_bytes(path, n < whole.size() ? whole.substr(0, n) : whole + "E");
        EXPECT_FALSE(spool_.load(id)) << n;
        EXPECT_FALSE(spool_.read_data(id)) << n;
        EXPECT_FALSE(spool_.mark_recipients(id, {{0, RecipientState::delivered}})) << n;
        EXPECT_TRUE(spool_.list().empty()) << n;
        auto report = spool_.recover();
        EXPECT_EQ(report.kept, 0u) << n;
        ASSERT_EQ(report.removed, 1u) << n;
        EXPECT_EQ(report.removed_ids, std::vector<std::string>{id});
        EXPECT_FALSE(fs::exists(path)) << n;
        EXPECT_TRUE(fs::exists(corrupt)) << n;
    }
    write_bytes(path, whole);  // and the same bytes complete are a message again
    EXPECT_TRUE(spool_.load(id));
    EXPECT_EQ(spool_.recover().kept, 1u);
}

TEST_F(SpoolTest, GarbageInTheQueueIsSetAsideNotLoaded) {
    auto good = store_one();
    auto garbage_id = new_message_id();
    write_bytes(spool_.path_of(garbage_id), std::string(5000, '\0') + "\nD 3\nabcE\n");
    auto misnamed = spool_.path_of(good).parent_path() / "not.an.id";
    write_bytes(misnamed, "x");
    EXPECT_FALSE(spool_.load(garbage_id));
    EXPECT_EQ(spool_.list(), std::vector<std::string>{good});
    auto report = spool_.recover();
    EXPECT_EQ(report.kept, 1u);
    EXPECT_EQ(report.removed, 2u);
    EXPECT_EQ(report.problems.size(), 2u);
    EXPECT_TRUE(spool_.load(good));
}

TEST_F(SpoolTest, FifosAndSymlinksInTheQueueNeitherHangNorLoad) {
    auto good = store_one();
    auto fifo_id = new_message_id();
    ASSERT_EQ(::mkfifo(spool_.path_of(fifo_id).c_str(), 0600), 0);
    auto outside = dir_.path() / "outside";
    fs::copy_file(spool_.path_of(good), outside);
    auto link_id = new_message_id();
    fs::create_symlink(outside, spool_.path_of(link_id));

    EXPECT_FALSE(spool_.load(fifo_id));
    EXPECT_FALSE(spool_.load(link_id));
    EXPECT_FALSE(spool_.mark_recipients(link_id, {{0, RecipientState::delivered}}));
    EXPECT_EQ(spool_.list(), std::vector<std::string>{good});
    auto report = spool_.recover();
    EXPECT_EQ(report.kept, 1u);
    EXPECT_EQ(report.removed, 2u);
    EXPECT_EQ(file_bytes(outside), file_bytes(spool_.path_of(good)));
}

// A message's text arrives in pieces into incoming/ and is stored from there: the queue file
// is the one store() writes from the same text in memory.
TEST_F(SpoolTest, StoresATextFromItsIncomingFileAsFromMemory) {
    std::string text = "Subject: big\r\n\r\n";
    for (int i = 0; i < 20000; ++i) text += "line " + std::to_string(i) + "\r\n";
    IncomingText incoming = spool_.create_incoming();
    for (std::size_t at = 0; at < text.size(); at += 16384) {
        incoming.append(std::string_view(text).substr(at, 16384));
    }
    ASSERT_EQ(incoming.error(), "");
    ASSERT_EQ(incoming.size(), text.size());
    const std::string head = "Received: by us\r\n";
    const std::size_t from = std::string_view("Subject: big\r\n").size();
    auto a = new_message_id(), b = new_message_id();
    ASSERT_TRUE(spool_.store(a, envelope_to({"x@y"}), head, incoming, from));
    ASSERT_TRUE(spool_.store(b, envelope_to({"x@y"}), head + text.substr(from)));
    auto data = spool_.read_data(a);
    ASSERT_TRUE(data.ok()) << data.error();
    EXPECT_EQ(*data, head + text.substr(from));
    const auto file_a = file_bytes(spool_.path_of(a)), file_b = file_bytes(spool_.path_of(b));
    EXPECT_EQ(file_a, file_b);
}

// A small text stays in memory: no file is made for it, and it is stored all the same.
TEST_F(SpoolTest, KeepsASmallTextInMemoryAndStoresItAsFromAFile) {
    const auto incoming_dir = dir_.path() / "spool" / "incoming";
    const std::string text = "Subject: small\r\n\r\nbody\r\n";
    IncomingText incoming = spool_.create_incoming();
    EXPECT_TRUE(incoming.keep_in_memory(std::string_view(text).substr(0, 10)));
    incoming.append(std::string_view(text).substr(10));
    EXPECT_FALSE(incoming.on_disk());
    EXPECT_EQ(entries_in(incoming_dir), 0u);
    std::string read;
    ASSERT_EQ(incoming.read_at(2, 5, read), 0);
    EXPECT_EQ(read, "bject");
    const std::string head = "Received: by us\r\n";
    const std::size_t from = std::string_view("Subject: small\r\n").size();
    auto a = new_message_id(), b = new_message_id();
    ASSERT_TRUE(spool_.store(a, envelope_to({"x@y"}), head, incoming, from));
    ASSERT_TRUE(spool_.store(b, envelope_to({"x@y"}), head + text.substr(from)));
    EXPECT_EQ(file_bytes(spool_.path_of(a)), file_bytes(spool_.path_of(b)));
}

// Beyond kTextKeptInMemory the text goes to its file, what memory held first.
TEST_F(SpoolTest, MovesATextThatGrowsTooLargeToItsFile) {
    const auto incoming_dir = dir_.path() / "spool" / "incoming";
    const std::string first(kTextKeptInMemory - 10, 'a');
    IncomingText incoming = spool_.create_incoming();
    EXPECT_TRUE(incoming.keep_in_memory(first));
    EXPECT_FALSE(incoming.keep_in_memory("0123456789+"));  // one octet too many: nothing done
    EXPECT_EQ(incoming.size(), first.size());
    incoming.append("0123456789+");
    ASSERT_EQ(incoming.error(), "");
    EXPECT_TRUE(incoming.on_disk());
    EXPECT_EQ(entries_in(incoming_dir), 1u);
    EXPECT_EQ(file_bytes(incoming.path()), first + "0123456789+");
    EXPECT_FALSE(incoming.keep_in_memory("more"));  // once on disk, always on disk
}

TEST(TextMemory, LendsNoMoreThanItsBudget) {
    TextMemory memory(100);
    EXPECT_TRUE(memory.take(60));
    EXPECT_FALSE(memory.take(41));
    EXPECT_TRUE(memory.take(40));
    memory.give(60);
    EXPECT_EQ(memory.used(), 40u);
    EXPECT_TRUE(memory.take(60));
}

TEST_F(SpoolTest, RemovesAnIncomingTextWhenItGoes) {
    const auto incoming_dir = dir_.path() / "spool" / "incoming";
    const std::string large(kTextKeptInMemory + 1, 'x');
    {
        IncomingText text = spool_.create_incoming();
        text.append(large);
        EXPECT_EQ(entries_in(incoming_dir), 1u);
        IncomingText moved = std::move(text);
        EXPECT_EQ(entries_in(incoming_dir), 1u);
    }
    EXPECT_EQ(entries_in(incoming_dir), 0u);
}

TEST_F(SpoolTest, RecoverLeavesALiveIncomingTextAlone) {
    IncomingText text = spool_.create_incoming();
    text.append(std::string(kTextKeptInMemory + 1, 'x'));
    Spool other(dir_.path() / "spool");  // as herald sendmail would
    EXPECT_EQ(other.recover().removed, 0u);
    EXPECT_TRUE(fs::exists(text.path()));
}

TEST_F(SpoolTest, RecoverDeletesUnfinishedWritesButNotOnesInProgress) {
    auto incoming = dir_.path() / "spool" / "incoming";
    auto kept = store_one();
    write_bytes(incoming / "crashed", "HERALD-QUEUE 1\nT 1\n");
    write_bytes(incoming / "writing", "HERALD-QUEUE 1\n");
    int fd = ::open((incoming / "writing").c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::flock(fd, LOCK_EX), 0);  // as store() in another process holds it

    auto report = spool_.recover();
    ::close(fd);
    EXPECT_EQ(report.kept, 1u);
    EXPECT_EQ(report.removed, 1u);
    EXPECT_EQ(report.removed_ids, std::vector<std::string>{"crashed"});
    EXPECT_FALSE(fs::exists(incoming / "crashed"));
    EXPECT_TRUE(fs::exists(incoming / "writing"));
    EXPECT_TRUE(spool_.load(kept));
}

TEST_F(SpoolTest, RecipientOutcomesPersistAcrossANewSpoolObject) {
    auto id = store_one({"a@x", "b@x", "c@x"});
    ASSERT_TRUE(
        spool_.mark_recipients(id, {{0, RecipientState::delivered}, {2, RecipientState::failed}}));
    // One index out of range: nothing of the call is written.
    EXPECT_FALSE(
        spool_.mark_recipients(id, {{1, RecipientState::failed}, {3, RecipientState::failed}}));

    Spool reopened(dir_.path() / "spool");
    ASSERT_TRUE(reopened.open());
    EXPECT_EQ(reopened.recover().kept, 1u);
    auto loaded = reopened.load(id);
    ASSERT_TRUE(loaded);
    EXPECT_EQ(loaded->recipients[0].state, RecipientState::delivered);
    EXPECT_EQ(loaded->recipients[1].state, RecipientState::pending);
    EXPECT_EQ(loaded->recipients[2].state, RecipientState::failed);
    EXPECT_FALSE(loaded->finished());
    ASSERT_TRUE(reopened.mark_recipients(id, {{1, RecipientState::delivered}}));
    EXPECT_TRUE(spool_.load(id)->finished());
    EXPECT_EQ(spool_.read_data(id).value(), kData);
}

TEST_F(SpoolTest, HoldAndReleasePersist) {
    auto id = store_one();
    ASSERT_TRUE(spool_.set_held(id, true));
    EXPECT_TRUE(Spool(dir_.path() / "spool").load(id)->held);
    ASSERT_TRUE(spool_.set_held(id, false));
    EXPECT_FALSE(spool_.load(id)->held);
    EXPECT_FALSE(spool_.set_held(new_message_id(), true));
}

TEST_F(SpoolTest, HoldingAHeldMessageOrReleasingAnotherIsAnError) {
    auto id = store_one();
    auto released = spool_.set_held(id, false);
    ASSERT_FALSE(released);
    EXPECT_EQ(released.error(), "message " + id + " is not held");
    ASSERT_TRUE(spool_.set_held(id, true));
    auto held = spool_.set_held(id, true);
    ASSERT_FALSE(held);
    EXPECT_EQ(held.error(), "message " + id + " is held already");
    EXPECT_TRUE(spool_.load(id)->held);
}

TEST_F(SpoolTest, RemoveTakesTheMessageAndItsScheduleAway) {
    auto id = store_one();
    auto other = store_one();
    ASSERT_TRUE(spool_.save_schedule(id, Schedule{1, {}, "x"}));
    ASSERT_TRUE(spool_.remove(id));
    EXPECT_FALSE(spool_.load(id));
    EXPECT_FALSE(spool_.read_data(id));
    EXPECT_FALSE(spool_.load_schedule(id));
    EXPECT_EQ(spool_.list(), std::vector<std::string>{other});
    auto again = spool_.remove(id);
    ASSERT_FALSE(again);
    EXPECT_NE(again.error().find("no message"), std::string::npos);
}

TEST_F(SpoolTest, SchedulesRoundTripAndSurviveARestart) {
    auto id = store_one();
    EXPECT_FALSE(spool_.load_schedule(id));
    Schedule schedule{
        3, std::chrono::system_clock::time_point(std::chrono::microseconds(1764000999000001)),
        "451 4.7.1 greylisted\r\nby \"mx\""};
    ASSERT_TRUE(spool_.save_schedule(id, schedule));
    schedule.attempts = 4;
    ASSERT_TRUE(spool_.save_schedule(id, schedule));
    Spool reopened(dir_.path() / "spool");
    ASSERT_TRUE(reopened.open());
    reopened.recover();
    auto loaded = reopened.load_schedule(id);
    ASSERT_TRUE(loaded);
    EXPECT_EQ(loaded->attempts, 4u);
    EXPECT_EQ(loaded->next_attempt, schedule.next_attempt);
    EXPECT_EQ(loaded->last_error, schedule.last_error);
}

// The delay warning's record takes the fsync'd way (file and directory): it must still be
// there, with the deferrals, for the next start.
TEST_F(SpoolTest, ADelayWarningInTheScheduleSurvivesARestart) {
    auto id = store_one();
    const auto warned = std::chrono::system_clock::time_point(std::chrono::seconds(1764000500));
    Schedule schedule{.attempts = 2,
                      .last_error = "451 4.7.1 greylisted",
                      .deferrals = {{.recipient = "bob@one.test",
                                     .reply = "451 4.7.1 greylisted",
                                     .remote_host = "mx.one.test [127.0.0.2]"}},
                      .delay_warned = warned};
    ASSERT_TRUE(spool_.save_schedule(id, schedule));
    Spool reopened(dir_.path() / "spool");
    ASSERT_TRUE(reopened.open());
    std::optional<Schedule> recovered;
    reopened.recover(
        [&](SpooledMessage&&, std::optional<Schedule>&& saved) { recovered = std::move(saved); });
    ASSERT_TRUE(recovered);
    EXPECT_EQ(recovered->delay_warned, warned);
    ASSERT_EQ(recovered->deferrals.size(), 1u);
    EXPECT_EQ(recovered->deferrals[0].remote_host, "mx.one.test [127.0.0.2]");
}

TEST_F(SpoolTest, RecoverDropsSchedulesOfMessagesThatAreGone) {
    auto gone = new_message_id();
    auto kept = store_one();
    ASSERT_TRUE(spool_.save_schedule(gone, Schedule{1, {}, ""}));
    ASSERT_TRUE(spool_.save_schedule(kept, Schedule{2, {}, ""}));
    spool_.recover();
    EXPECT_FALSE(spool_.load_schedule(gone));
    EXPECT_EQ(spool_.load_schedule(kept)->attempts, 2u);
}

TEST_F(SpoolTest, ACorruptScheduleReadsAsNone) {
    auto id = store_one();
    ASSERT_TRUE(spool_.save_schedule(id, Schedule{1, {}, ""}));
    auto path =
        dir_.path() / "spool" / "schedule" / spool_.path_of(id).parent_path().filename() / id;
    ASSERT_TRUE(fs::exists(path));
    write_bytes(path, "HERALD-SCHEDULE 1\nN -1\n");
    EXPECT_FALSE(spool_.load_schedule(id));
}

TEST_F(SpoolTest, ListsTenThousandMessagesInIdOrder) {
    auto template_id = store_one();
    const std::string bytes = file_bytes(spool_.path_of(template_id));
    std::vector<std::string> ids{template_id};
    for (int i = 0; i < 9999; ++i) {
        ids.push_back(new_message_id());
        write_bytes(spool_.path_of(ids.back()), bytes);  // same content: the id is the name
    }
    EXPECT_EQ(spool_.list(), ids);  // generated in order, so already sorted
    // Read by many threads, handed over the oldest first all the same.
    std::vector<std::string> kept;
    auto report = spool_.recover(
        [&](SpooledMessage&& message, std::optional<Schedule>&&) { kept.push_back(message.id); });
    EXPECT_EQ(report.kept, 10000u);
    EXPECT_EQ(kept, ids);
}

// The server takes mail while the queue loads: what changes between the listing and the
// reading is taken as it is then.
TEST_F(SpoolTest, LoadingTakesTheQueueAsItIsWhenEachFileIsRead) {
    const auto delivered = store_one();
    const auto waiting = store_one();
    std::string arrived;
    std::vector<std::string> kept;
    auto report = spool_.load_queue(
        [&](std::vector<Spool::LoadedMessage>&& batch) {
            for (const auto& loaded : batch) kept.push_back(loaded.message.id);
            return true;
        },
        [&](std::size_t found) {
            EXPECT_EQ(found, 2u);
            ASSERT_TRUE(spool_.remove(delivered));  // delivered after it was listed
            arrived = store_one();                  // and a new message, deferred
            ASSERT_TRUE(spool_.save_schedule(arrived, Schedule{1, {}, "451 later"}));
        });
    EXPECT_EQ(kept, std::vector<std::string>{waiting});
    EXPECT_EQ(report.kept, 1u);
    EXPECT_EQ(report.removed, 0u) << "a message removed meanwhile is not corrupt";
    EXPECT_TRUE(fs::is_empty(dir_.path() / "spool" / "corrupt"));
    EXPECT_TRUE(spool_.load_schedule(arrived)) << "not an orphan: its message exists";
}

TEST_F(SpoolTest, LoadingStopsWhenTheServerDoes) {
    const auto first = store_one();
    const std::string bytes = file_bytes(spool_.path_of(first));
    for (int i = 0; i < 3000; ++i) write_bytes(spool_.path_of(new_message_id()), bytes);
    std::size_t batches = 0;
    auto report = spool_.load_queue([&](std::vector<Spool::LoadedMessage>&&) {
        ++batches;
        return false;
    });
    EXPECT_EQ(batches, 1u) << report.kept;
}

// The server saves schedules while the queue loads: only an earlier server's leftovers go.
TEST_F(SpoolTest, LoadingDropsOnlyAnotherProcesssTemporarySchedules) {
    const auto id = store_one();
    const auto bucket = spool_.path_of(id).parent_path().filename();
    const auto schedules = dir_.path() / "spool" / "schedule" / bucket;
    const auto ours = schedules / ("." + id + "." + std::to_string(::getpid()) + ".7");
    const auto theirs = schedules / ("." + id + ".999999999.7");
    write_bytes(ours, "HERALD-SCHEDULE 1\n");
    write_bytes(theirs, "HERALD-SCHEDULE 1\n");
    spool_.load_queue({});
    EXPECT_TRUE(fs::exists(ours));
    EXPECT_FALSE(fs::exists(theirs));
}

// Start-up reads each queue file once, in recover(): every message that is kept is handed
// over whole, with its schedule when it has one; a broken one is not.
TEST_F(SpoolTest, RecoverHandsOverEachKeptMessageWithItsSchedule) {
    auto plain = store_one();
    auto deferred = store_one();
    auto broken = store_one();
    ASSERT_TRUE(spool_.save_schedule(deferred, Schedule{3, {}, "451 try later"}));
    ASSERT_TRUE(spool_.save_schedule(broken, Schedule{1, {}, ""}));
    write_bytes(spool_.path_of(broken), "HERALD-QUEUE 1\n");
    std::map<std::string, std::optional<Schedule>> kept;
    auto report = spool_.recover([&](SpooledMessage&& message, std::optional<Schedule>&& saved) {
        EXPECT_EQ(message.envelope.recipients.size(), message.recipients.size());
        kept.emplace(message.id, std::move(saved));
    });
    EXPECT_EQ(report.kept, 2u);
    EXPECT_EQ(report.removed_ids, std::vector<std::string>{broken});
    ASSERT_EQ(kept.size(), 2u);
    EXPECT_FALSE(kept.at(plain));
    ASSERT_TRUE(kept.at(deferred));
    EXPECT_EQ(kept.at(deferred)->attempts, 3u);
    EXPECT_EQ(kept.at(deferred)->last_error, "451 try later");
    EXPECT_FALSE(spool_.load_schedule(broken));  // its message was set aside
}

// Reading the queue writes no inode: an atime older than the file's change time is one that
// a relatime mount (this one's; a noatime mount cannot tell) updates on the next read.
TEST_F(SpoolTest, LoadingTheQueueLeavesItsFilesAccessTimesAlone) {
    const auto id = store_one();
    ASSERT_TRUE(spool_.save_schedule(id, Schedule{2, {}, "451 later"}));
    const auto bucket = spool_.path_of(id).parent_path().filename();
    const std::vector<fs::path> files{spool_.path_of(id),
                                      dir_.path() / "spool" / "schedule" / bucket / id};
    const timespec an_hour_ago{::time(nullptr) - 3600, 0};
    for (const auto& file : files) {
        const timespec times[2] = {an_hour_ago, {0, UTIME_OMIT}};
        ASSERT_EQ(::utimensat(AT_FDCWD, file.c_str(), times, 0), 0) << file;
    }
    std::optional<Schedule> schedule;
    spool_.load_queue([&](std::vector<Spool::LoadedMessage>&& batch) {
        if (batch.size() == 1) schedule = std::move(batch[0].schedule);
        return true;
    });
    ASSERT_TRUE(schedule);
    EXPECT_EQ(schedule->attempts, 2u);
    for (const auto& file : files) {
        struct stat st {};
        ASSERT_EQ(::stat(file.c_str(), &st), 0) << file;
        EXPECT_EQ(st.st_atim.tv_sec, an_hour_ago.tv_sec) << file;
    }
}

// A schedule longer than the first read is read whole.
TEST_F(SpoolTest, ALongScheduleIsLoadedWhole) {
    const auto id = store_one();
    Schedule schedule{5, {}, "451 later"};
    for (int i = 0; i < 40; ++i) {
        schedule.deferrals.push_back({.recipient = "r" + std::to_string(i) + "@one.test",
                                      .reply = "451 4.7.1 " + std::string(200, 'x'),
                                      .remote_host = "mx.one.test [127.0.0.2]"});
    }
    ASSERT_GT(encode_schedule(schedule).size(), 8192u);
    ASSERT_TRUE(spool_.save_schedule(id, schedule));
    std::optional<Schedule> loaded;
    spool_.load_queue([&](std::vector<Spool::LoadedMessage>&& batch) {
        if (batch.size() == 1) loaded = std::move(batch[0].schedule);
        return true;
    });
    ASSERT_TRUE(loaded);
    ASSERT_EQ(loaded->deferrals.size(), 40u);
    EXPECT_EQ(loaded->deferrals.back().recipient, "r39@one.test");
}

TEST_F(SpoolTest, AnErrorThatIsNotAFullDiskSaysSo) {
    fs::remove_all(dir_.path() / "spool" / "incoming");
    auto stored = spool_.store(new_message_id(), envelope_to({"x@y"}), kData);
    ASSERT_FALSE(stored);
    EXPECT_FALSE(stored.disk_full());
    EXPECT_NE(stored.error().find("incoming"), std::string::npos);
}

// A real full file system: a 1 MiB tmpfs (needs root and mount rights; skipped otherwise).
class FullDiskTest : public ::testing::Test {
  protected:
    void SetUp() override {
        mount_point_ = dir_.path() / "tmpfs";
        fs::create_directory(mount_point_);
        if (::mount("tmpfs", mount_point_.c_str(), "tmpfs", 0, "size=1m") != 0) {
            GTEST_SKIP() << "cannot mount a tmpfs here: " << std::strerror(errno);
        }
        mounted_ = true;
    }
    void TearDown() override {
        if (mounted_) ::umount2(mount_point_.c_str(), MNT_DETACH);
    }

    TempDir dir_;
    fs::path mount_point_;
    bool mounted_ = false;
};

TEST_F(FullDiskTest, AFullDiskFailsCleanlyAndDamagesNothing) {
    Spool spool(mount_point_ / "spool");
    ASSERT_TRUE(spool.open());
    std::vector<std::string> before;
    for (int i = 0; i < 3; ++i) {
        before.push_back(new_message_id());
        ASSERT_TRUE(spool.store(before.back(), envelope_to({"x@y"}), kData));
    }
    ASSERT_TRUE(spool.mark_recipients(before[0], {{0, RecipientState::delivered}}));

    const std::string big(600 * 1024, 'b');
    auto first_big = new_message_id();
    ASSERT_TRUE(spool.store(first_big, envelope_to({"x@y"}), big));
    auto second_big = new_message_id();
    auto full = spool.store(second_big, envelope_to({"x@y"}), big);
    ASSERT_FALSE(full);
    EXPECT_TRUE(full.disk_full()) << full.error();
    EXPECT_FALSE(spool.load(second_big));
    EXPECT_EQ(entries_in(mount_point_ / "spool" / "incoming"), 0u);

    // What was queued is intact, and in-place updates need no space.
    for (const auto& id : before) EXPECT_EQ(spool.read_data(id).value(), kData);
    EXPECT_EQ(spool.read_data(first_big).value(), big);
    EXPECT_TRUE(spool.set_held(before[1], true));
    EXPECT_EQ(spool.load(before[0])->recipients[0].state, RecipientState::delivered);
    EXPECT_EQ(spool.recover().kept, 4u);

    // Room again: accepted again.
    ASSERT_TRUE(spool.remove(first_big));
    auto after = spool.store(second_big, envelope_to({"x@y"}), big);
    EXPECT_TRUE(after) << after.error();
    EXPECT_EQ(spool.list().size(), 4u);
}

}  // namespace
}  // namespace herald::spool

namespace herald::spool {
namespace {

// A journal in <dir>/journal, checkpointed only when a test asks.
Result<std::unique_ptr<Journal>> open_journal_in(const TempDir& dir) {
    fs::create_directory(dir.path() / "journal");
    return Journal::open(dir.path() / "journal", dir.path(), std::chrono::milliseconds(0));
}

// The journal (docs/spool.md): many threads' records share flushes, a checkpoint leaves only
// the newest segment, and a clean end leaves none.
TEST(Journal, ConcurrentCommitsAllArriveAndACheckpointKeepsOnlyTheNewestSegment) {
    TempDir dir;
    auto opened = open_journal_in(dir);
    ASSERT_TRUE(opened) << opened.error();
    auto& journal = **opened;
    constexpr int kThreads = 8, kEach = 50;
    {
        std::vector<std::jthread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                for (int i = 0; i < kEach; ++i) {
                    std::string record;
                    append_journal_record(record, JournalKind::removed,
                                          "t" + std::to_string(t) + "n" + std::to_string(i), "");
                    EXPECT_TRUE(journal.commit(record));
                }
            });
        }
    }
    EXPECT_LE(journal.flushes(), std::uint64_t{kThreads * kEach});
    auto segments = Journal::segments(dir.path() / "journal");
    ASSERT_EQ(segments.size(), 1u);
    std::ifstream in(segments[0], std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto read = read_journal_records(text);
    EXPECT_TRUE(read.complete);
    EXPECT_EQ(read.records.size(), std::size_t{kThreads * kEach});

    ASSERT_TRUE(journal.checkpoint());
    auto after = Journal::segments(dir.path() / "journal");
    ASSERT_EQ(after.size(), 1u);
    EXPECT_GT(after[0], segments[0]);
    opened->reset();
    EXPECT_TRUE(Journal::segments(dir.path() / "journal").empty());
}

// Records handed over without waiting are all flushed, each caller hears so once, on the
// journal's thread; and the last are flushed when the journal closes.
TEST(Journal, RecordsHandedOverAreEachHeardOfOnceTheyAreDurable) {
    TempDir dir;
    auto opened = open_journal_in(dir);
    ASSERT_TRUE(opened) << opened.error();
    constexpr int kRecords = 200;
    std::atomic<int> heard{0}, failed{0};
    std::atomic<bool> on_caller{false};
    const auto caller = std::this_thread::get_id();
    for (int i = 0; i < kRecords; ++i) {
        std::string record;
        append_journal_record(record, JournalKind::removed, "n" + std::to_string(i), "");
        (*opened)->commit(record, [&](const std::string& error) {
            if (!error.empty()) ++failed;
            if (std::this_thread::get_id() == caller) on_caller = true;
            ++heard;
        });
    }
    EXPECT_LE((*opened)->flushes(), std::uint64_t{kRecords});
    std::uint64_t flushes = 0;
    {
        // A blocking commit comes after all of those: once it returns, they are durable.
        std::string last;
        append_journal_record(last, JournalKind::removed, "last", "");
        ASSERT_TRUE((*opened)->commit(last));
        flushes = (*opened)->flushes();
    }
    EXPECT_EQ(heard, kRecords);
    EXPECT_EQ(failed, 0);
    EXPECT_FALSE(on_caller);
    EXPECT_LT(flushes, std::uint64_t{kRecords} + 1) << "records that came together shared";
    auto segments = Journal::segments(dir.path() / "journal");
    ASSERT_EQ(segments.size(), 1u);
    EXPECT_EQ(read_journal_records(file_bytes(segments[0])).records.size(),
              std::size_t{kRecords + 1});

    // Closing drains what is still open.
    std::atomic<int> late{0};
    for (int i = 0; i < 10; ++i) {
        std::string record;
        append_journal_record(record, JournalKind::removed, "late" + std::to_string(i), "");
        (*opened)->commit(record, [&](const std::string& error) { late += error.empty(); });
    }
    opened->reset();
    EXPECT_EQ(late, 10);
}

// A delivery's outcome may wait for an acceptance to share its flush; the acceptance does
// not wait for anything, and takes the outcomes along. (The pauses between the outcomes give
// a journal that flushed them as they came every chance to: then it would flush each.)
TEST(Journal, RecordsThatMayWaitRideOnTheFlushOfOneThatMayNot) {
    TempDir dir;
    auto opened = open_journal_in(dir);
    ASSERT_TRUE(opened) << opened.error();
    auto& journal = **opened;
    journal.set_shared_flush_wait(std::chrono::hours(1));  // nothing but the urgent record ends it
    constexpr int kOutcomes = 20;
    std::atomic<int> heard{0};
    for (int i = 0; i < kOutcomes; ++i) {
        std::string outcome;
        append_journal_record(outcome, JournalKind::outcomes, "waits" + std::to_string(i), "0D");
        journal.commit(
            outcome, [&](const std::string& error) { heard += error.empty(); },
            Journal::Urgency::may_wait);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    EXPECT_EQ(journal.flushes(), 0u) << "outcomes alone waited";
    EXPECT_EQ(heard, 0);
    std::string message;
    append_journal_record(message, JournalKind::removed, "urgent", "");
    ASSERT_TRUE(journal.commit(message));  // blocks until flushed: urgent
    EXPECT_EQ(heard, kOutcomes) << "the outcomes were durable with the urgent record";
    EXPECT_EQ(journal.flushes(), 1u);
    const auto segments = Journal::segments(dir.path() / "journal");
    ASSERT_EQ(segments.size(), 1u);
    EXPECT_EQ(read_journal_records(file_bytes(segments[0])).records.size(),
              std::size_t{kOutcomes + 1});
}

// With no urgent record coming, one that may wait is flushed once its wait is over; and a
// journal that closes flushes it without waiting.
TEST(Journal, ARecordThatMayWaitIsFlushedAloneAfterItsWaitOrAtTheClose) {
    TempDir dir;
    auto opened = open_journal_in(dir);
    ASSERT_TRUE(opened) << opened.error();
    (*opened)->set_shared_flush_wait(std::chrono::milliseconds(1));
    std::string outcome;
    append_journal_record(outcome, JournalKind::outcomes, "alone", "0D");
    std::promise<std::string> flushed;
    (*opened)->commit(
        outcome, [&](const std::string& error) { flushed.set_value(error); },
        Journal::Urgency::may_wait);
    auto heard = flushed.get_future();
    ASSERT_EQ(heard.wait_for(std::chrono::seconds(60)), std::future_status::ready);
    EXPECT_EQ(heard.get(), "");
    EXPECT_EQ((*opened)->flushes(), 1u);

    (*opened)->set_shared_flush_wait(std::chrono::hours(1));
    std::atomic<bool> late{false};
    (*opened)->commit(
        outcome, [&](const std::string& error) { late = error.empty(); },
        Journal::Urgency::may_wait);
    opened->reset();  // would take the hour if the close waited
    EXPECT_TRUE(late);
}

TEST(Journal, APreparedSegmentIsAQuarterLargerThanItsBusyPredecessorInWholeMiB) {
    constexpr std::uint64_t kMiB = 1 << 20;
    EXPECT_EQ(Journal::prepared_size_after(0), 0u);
    EXPECT_EQ(Journal::prepared_size_after(Journal::kPrepareFrom - 1), 0u);
    EXPECT_EQ(Journal::prepared_size_after(Journal::kPrepareFrom), 2 * kMiB);
    EXPECT_EQ(Journal::prepared_size_after(4 * kMiB), 5 * kMiB);
    EXPECT_EQ(Journal::prepared_size_after(4 * kMiB + 1), 6 * kMiB);
    EXPECT_EQ(Journal::prepared_size_after(1000 * kMiB), Journal::kPreparedAtMost);
}

// A busy segment's successor is written full of zeros at the checkpoint; the next checkpoint
// makes it the segment, whose records then overwrite the zeros from its start and read back
// whole. A quiet segment's successor is not prepared, and a clean end leaves nothing.
TEST(Journal, ABusySegmentsSuccessorIsPreparedAndItsRecordsOverwriteTheZeros) {
    TempDir dir;
    const auto journal_dir = dir.path() / "journal";
    fs::create_directory(journal_dir);
    std::ofstream(journal_dir / "next") << "half written by a crash";
    auto opened = Journal::open(journal_dir, dir.path(), std::chrono::milliseconds(0));
    ASSERT_TRUE(opened) << opened.error();
    auto& journal = **opened;
    EXPECT_FALSE(fs::exists(journal_dir / "next")) << "a crash's leftover is not used";

    auto commit_bytes = [&](std::size_t bytes, const std::string& prefix) {
        std::size_t n = 0;
        for (std::size_t done = 0; done < bytes; ++n) {
            std::string record;
            append_journal_record(record, JournalKind::held, prefix + std::to_string(n),
                                  std::string(4000, 'h'));
            ASSERT_TRUE(journal.commit(record));
            done += record.size();
        }
    };
    commit_bytes(Journal::kPrepareFrom / 2, "quiet");
    ASSERT_TRUE(journal.checkpoint());
    EXPECT_FALSE(fs::exists(journal_dir / "next"));

    commit_bytes(Journal::kPrepareFrom + 1, "busy");
    ASSERT_TRUE(journal.checkpoint());
    ASSERT_TRUE(fs::exists(journal_dir / "next"));
    const auto prepared = fs::file_size(journal_dir / "next");
    EXPECT_GE(prepared, Journal::kPrepareFrom + 1);
    EXPECT_EQ(file_bytes(journal_dir / "next").find_first_not_of('\0'), std::string::npos);

    std::string record;
    append_journal_record(record, JournalKind::removed, "in-the-prepared", "");
    ASSERT_TRUE(journal.commit(record));
    ASSERT_TRUE(journal.checkpoint());  // takes the prepared file: a quiet one prepares none
    EXPECT_FALSE(fs::exists(journal_dir / "next"));
    auto segments = Journal::segments(journal_dir);
    ASSERT_EQ(segments.size(), 1u);
    EXPECT_EQ(fs::file_size(segments[0]), prepared);
    ASSERT_TRUE(journal.commit(record));
    ASSERT_TRUE(journal.commit(record));
    auto read = read_journal_records(file_bytes(segments[0]));
    EXPECT_TRUE(read.complete);
    ASSERT_EQ(read.records.size(), 2u);
    EXPECT_EQ(read.records[1].id, "in-the-prepared");
    EXPECT_EQ(fs::file_size(segments[0]), prepared) << "written within the zeros";

    opened->reset();
    EXPECT_TRUE(fs::is_empty(journal_dir));
}

class JournaledSpoolTest : public SpoolTest {
  protected:
    // Runs `work` on a journaled spool in a child process that then dies without a
    // checkpoint, as a crash would leave it.
    template <typename Work>
    void crash_after(Work work) {
        const pid_t child = ::fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            Spool spool(dir_.path() / "spool");
            auto opened = spool.open_journal(std::chrono::milliseconds(0));
            if (!opened) ::_exit(3);
            work(spool);
            ::_exit(::testing::Test::HasFailure() ? 1 : 0);
        }
        int status = 0;
        ASSERT_EQ(::waitpid(child, &status, 0), child);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    }

    std::string store_in(Spool& spool, std::vector<std::string> recipients) {
        auto id = new_message_id();
        auto stored = spool.store(id, envelope_to(std::move(recipients)), kData);
        EXPECT_TRUE(stored) << stored.error();
        return id;
    }

    fs::path journal_dir() const { return dir_.path() / "spool" / "journal"; }
};

TEST_F(JournaledSpoolTest, AStoredMessageIsRecordedWithItsFileAndNeedsNoFlushOfItsOwn) {
    std::string id;
    crash_after([&](Spool& spool) {
        id = store_in(spool, {"bob@example.net"});
        EXPECT_EQ(spool.journal_flushes(), 1u);
        EXPECT_EQ(spool.directory_sync_rounds(), 0u) << "no directory fsync of its own";
    });
    auto segments = Journal::segments(journal_dir());
    ASSERT_EQ(segments.size(), 1u);
    EXPECT_GT(fs::file_size(segments[0]), kData.size());
}

// What a crash (a power cut) may lose of the files, the journal gives back; what it says
// was finished, deleted or held stays so.
TEST_F(JournaledSpoolTest, SettlingAfterACrashMakesTheFilesSayWhatTheJournalSays) {
    const std::string ids_file = (dir_.path() / "ids").string();
    crash_after([&](Spool& spool) {
        const auto delivered = store_in(spool, {"bob@example.net", "carol@example.org"});
        const auto deleted = store_in(spool, {"bob@example.net"});
        const auto held = store_in(spool, {"bob@example.net"});
        const auto half = store_in(spool, {"bob@example.net", "carol@example.org"});
        // Those four written by a checkpoint; this one only in the journal since.
        EXPECT_TRUE(spool.checkpoint());
        const auto lost = store_in(spool, {"bob@example.net"});
        EXPECT_TRUE(spool.mark_recipients(
            delivered, {{0, RecipientState::delivered}, {1, RecipientState::failed}}));
        EXPECT_TRUE(spool.remove(delivered));
        EXPECT_TRUE(spool.remove(deleted));
        EXPECT_TRUE(spool.set_held(held, true));
        EXPECT_TRUE(spool.mark_recipients(half, {{1, RecipientState::delivered}}));
        std::ofstream(ids_file) << lost << ' ' << delivered << ' ' << deleted << ' ' << held << ' '
                                << half;
    });
    std::string lost, delivered, deleted, held, half;
    std::ifstream(ids_file) >> lost >> delivered >> deleted >> held >> half;
    // The power cut: two unlinks never reached the disk, the hold was not written back. (The
    // file of the last message was never written at all.)
    ASSERT_FALSE(fs::exists(spool_.path_of(lost)));
    const std::string bytes = file_bytes(spool_.path_of(held));
    write_bytes(spool_.path_of(delivered), bytes);
    write_bytes(spool_.path_of(deleted), bytes);
    write_bytes(spool_.path_of(held), bytes);
    {
        auto file = file_bytes(spool_.path_of(held));
        auto at = file.find("\nF h\n");
        ASSERT_NE(at, std::string::npos);
        file[at + 3] = '-';
        write_bytes(spool_.path_of(held), file);
    }

    auto settled = spool_.settle_journal();
    ASSERT_TRUE(settled) << settled.error();
    EXPECT_EQ(settled->restored, 1u);
    EXPECT_EQ(settled->removed, 2u);
    EXPECT_FALSE(settled->torn);
    EXPECT_TRUE(Journal::segments(journal_dir()).empty());
    EXPECT_EQ(spool_.list(), (std::vector<std::string>{held, half, lost}));
    EXPECT_TRUE(spool_.load(held)->held);
    EXPECT_EQ(spool_.load(half)->recipients[1].state, RecipientState::delivered);
    EXPECT_EQ(spool_.load(lost)->recipients[0].state, RecipientState::pending);
}

// A crash in a prepared segment leaves its records and then zeros: replayed whole, and no
// batch taken for cut short.
TEST_F(JournaledSpoolTest, SettlingReplaysAPreparedSegmentAndTakesItsZerosForItsEnd) {
    const std::string id_file = (dir_.path() / "id").string();
    crash_after([&](Spool& spool) {
        const std::string body(100 * 1024, 'x');  // journaled whole: under 128 KiB
        for (std::uint64_t bytes = 0; bytes < Journal::kPrepareFrom; bytes += body.size()) {
            EXPECT_TRUE(spool.store(new_message_id(), envelope_to({"bob@example.net"}), body));
        }
        EXPECT_TRUE(spool.checkpoint());  // a busy segment ended: the next one is prepared
        store_in(spool, {"bob@example.net"});
        EXPECT_TRUE(spool.checkpoint());  // and begun
        std::ofstream(id_file) << store_in(spool, {"bob@example.net"});
    });
    std::string lost;
    std::ifstream(id_file) >> lost;
    const auto segments = Journal::segments(journal_dir());
    ASSERT_EQ(segments.size(), 1u);
    EXPECT_GE(fs::file_size(segments[0]), Journal::kPrepareFrom) << "the prepared one";
    ASSERT_FALSE(fs::exists(spool_.path_of(lost)));

    auto settled = spool_.settle_journal();
    ASSERT_TRUE(settled) << settled.error();
    EXPECT_EQ(settled->records, 1u);
    EXPECT_EQ(settled->restored, 1u);
    EXPECT_FALSE(settled->torn);
    EXPECT_TRUE(spool_.load(lost));
}

TEST_F(JournaledSpoolTest, ALargeMessageIsFlushedOnItsOwnAndNotCopiedIntoTheJournal) {
    crash_after([&](Spool& spool) {
        const std::string big(256 * 1024, 'x');
        EXPECT_TRUE(spool.store(new_message_id(), envelope_to({"bob@example.net"}), big));
        EXPECT_EQ(spool.journal_flushes(), 0u);
        EXPECT_EQ(spool.directory_sync_rounds(), 1u);
    });
}

// A small message's file waits in memory, where the spool reads and changes it, until a
// checkpoint writes it as it is then.
TEST_F(JournaledSpoolTest, AJournaledMessageIsWrittenByTheCheckpointAsItIsThen) {
    Spool spool(dir_.path() / "spool");
    ASSERT_TRUE(spool.open_journal(std::chrono::milliseconds(0)));
    const auto id = store_in(spool, {"bob@example.net", "carol@example.org"});
    EXPECT_FALSE(fs::exists(spool.path_of(id)));
    EXPECT_EQ(spool.list(), std::vector<std::string>{id});
    auto loaded = spool.load_with_data(id);
    ASSERT_TRUE(loaded) << loaded.error();
    EXPECT_EQ(*loaded->data, kData);
    EXPECT_TRUE(spool.mark_recipients(id, {{1, RecipientState::delivered}}));
    EXPECT_TRUE(spool.set_held(id, true));
    EXPECT_FALSE(spool.set_held(id, true)) << "no change is refused, as on disk";
    EXPECT_FALSE(spool.mark_recipients(id, {{2, RecipientState::delivered}}));

    ASSERT_TRUE(spool.checkpoint());
    ASSERT_TRUE(fs::exists(spool.path_of(id)));
    Spool other(dir_.path() / "spool");  // reads the disk alone
    auto written = other.load_with_data(id);
    ASSERT_TRUE(written) << written.error();
    EXPECT_TRUE(written->message.held);
    EXPECT_EQ(written->message.recipients[0].state, RecipientState::pending);
    EXPECT_EQ(written->message.recipients[1].state, RecipientState::delivered);
    EXPECT_EQ(*written->data, kData);
    // Written, it is changed in place.
    EXPECT_TRUE(spool.mark_recipients(id, {{0, RecipientState::failed}}));
    EXPECT_EQ(other.load(id)->recipients[0].state, RecipientState::failed);
}

// A message finished before the next checkpoint never gets a file; a crash brings back only
// what the journal says is still queued.
TEST_F(JournaledSpoolTest, AMessageFinishedBeforeTheCheckpointIsNeverWritten) {
    const std::string ids_file = (dir_.path() / "ids").string();
    crash_after([&](Spool& spool) {
        const auto done = store_in(spool, {"bob@example.net"});
        const auto queued = store_in(spool, {"bob@example.net"});
        EXPECT_TRUE(spool.mark_recipients(done, {{0, RecipientState::delivered}}));
        EXPECT_TRUE(spool.remove_finished(done));
        EXPECT_EQ(spool.list(), std::vector<std::string>{queued});
        EXPECT_FALSE(fs::exists(spool.path_of(done)));
        EXPECT_FALSE(fs::exists(spool.path_of(queued)));
        std::ofstream(ids_file) << done << ' ' << queued;
    });
    std::string done, queued;
    std::ifstream(ids_file) >> done >> queued;
    auto settled = spool_.settle_journal();
    ASSERT_TRUE(settled) << settled.error();
    EXPECT_EQ(settled->restored, 1u);
    EXPECT_EQ(spool_.list(), std::vector<std::string>{queued});
    EXPECT_EQ(spool_.load(queued)->recipients[0].state, RecipientState::pending);
}

// Left queued by its delivery attempt, a message is written at once: the command line reads
// the disk.
TEST_F(JournaledSpoolTest, AMessageLeftQueuedIsWrittenWhenAsked) {
    Spool spool(dir_.path() / "spool");
    ASSERT_TRUE(spool.open_journal(std::chrono::milliseconds(0)));
    const auto id = store_in(spool, {"bob@example.net"});
    ASSERT_FALSE(fs::exists(spool.path_of(id)));
    ASSERT_TRUE(spool.write_unwritten(id));
    EXPECT_TRUE(fs::exists(spool.path_of(id)));
    EXPECT_TRUE(spool.write_unwritten(id)) << "written already: nothing to do";
    EXPECT_EQ(Spool(dir_.path() / "spool").list(), std::vector<std::string>{id});
}

// What an event loop's callback hears: the outcome, once, and on which thread.
class Heard {
  public:
    Journal::Committed callback() {
        return [this](const std::string& error) {
            std::lock_guard lock(mutex_);
            outcomes_.push_back(error);
            on_caller_ = on_caller_ || std::this_thread::get_id() == caller_;
            came_.notify_all();
        };
    }
    // The outcomes once `count` came.
    std::vector<std::string> wait_for(std::size_t count) {
        std::unique_lock lock(mutex_);
        came_.wait(lock, [&] { return outcomes_.size() >= count; });
        return outcomes_;
    }
    bool on_caller() const { return on_caller_; }

  private:
    std::mutex mutex_;
    std::condition_variable came_;
    std::vector<std::string> outcomes_;
    std::thread::id caller_ = std::this_thread::get_id();
    bool on_caller_ = false;
};

IncomingText small_text(Spool& spool) {
    IncomingText text = spool.create_incoming();
    text.append(kData);
    return text;
}

// An event loop stores a small message without waiting: it hears on the journal's thread
// that the record is durable, and a crash then brings the message back.
TEST_F(JournaledSpoolTest, AnEventLoopStoresWithoutWaitingAndHearsWhenItIsDurable) {
    const std::string ids_file = (dir_.path() / "ids").string();
    crash_after([&](Spool& spool) {
        Heard heard;
        const auto id = new_message_id();
        IncomingText text = small_text(spool);
        ASSERT_TRUE(spool.store_in_memory(id, envelope_to({"bob@example.net"}), "X-Head: 1\r\n",
                                          text, 0, heard.callback()));
        EXPECT_EQ(heard.wait_for(1), std::vector<std::string>{""});
        EXPECT_FALSE(heard.on_caller());
        EXPECT_FALSE(fs::exists(spool.path_of(id))) << "kept in memory";
        EXPECT_EQ(spool.read_data(id).value(), "X-Head: 1\r\n" + kData);
        std::ofstream(ids_file) << id;
    });
    std::string id;
    std::ifstream(ids_file) >> id;
    ASSERT_TRUE(spool_.settle_journal());
    EXPECT_EQ(spool_.list(), std::vector<std::string>{id});
    EXPECT_EQ(spool_.read_data(id).value(), "X-Head: 1\r\n" + kData);
}

// What would need the disk (no journal, a text in its file, a message too large for a record)
// is left to store(): nothing is done, and no callback comes.
TEST_F(JournaledSpoolTest, WhatNeedsTheDiskIsLeftToStore) {
    Heard heard;
    IncomingText text = small_text(spool_);
    EXPECT_FALSE(spool_.store_in_memory(new_message_id(), envelope_to({"x@y"}), "", text, 0,
                                        heard.callback()))
        << "no journal";
    Spool spool(dir_.path() / "spool");
    ASSERT_TRUE(spool.open_journal(std::chrono::milliseconds(0)));
    IncomingText on_disk = spool.create_incoming();
    on_disk.append(std::string(kTextKeptInMemory + 1, 'a'));
    ASSERT_TRUE(on_disk.on_disk());
    EXPECT_FALSE(spool.store_in_memory(new_message_id(), envelope_to({"x@y"}), "", on_disk, 0,
                                       heard.callback()));
    IncomingText small = small_text(spool);
    const std::string huge_head(kMaxJournaledMessage, 'h');
    EXPECT_FALSE(spool.store_in_memory(new_message_id(), envelope_to({"x@y"}), huge_head, small, 0,
                                       heard.callback()));
    EXPECT_TRUE(spool.list().empty());
    EXPECT_TRUE(spool.checkpoint());
    EXPECT_TRUE(heard.wait_for(0).empty());
}

// An event loop marks a message whose file is in memory, and with its last recipient done
// the message is gone once the mark is durable; a file on disk is left to mark_recipients().
TEST_F(JournaledSpoolTest, AnEventLoopMarksAFileInMemoryAndLeavesOneOnDisk) {
    Spool spool(dir_.path() / "spool");
    ASSERT_TRUE(spool.open_journal(std::chrono::milliseconds(0)));
    const auto half = store_in(spool, {"bob@example.net", "carol@example.org"});
    const auto done = store_in(spool, {"bob@example.net"});
    Heard marked, finished, refused;
    ASSERT_TRUE(
        spool.mark_in_memory(half, {{1, RecipientState::delivered}}, false, marked.callback()));
    ASSERT_TRUE(
        spool.mark_in_memory(done, {{0, RecipientState::delivered}}, true, finished.callback()));
    ASSERT_TRUE(
        spool.mark_in_memory(half, {{7, RecipientState::delivered}}, false, refused.callback()));
    EXPECT_EQ(marked.wait_for(1), std::vector<std::string>{""});
    EXPECT_EQ(finished.wait_for(1), std::vector<std::string>{""});
    EXPECT_NE(refused.wait_for(1)[0], "") << "no recipient 7: refused, nothing recorded";
    EXPECT_EQ(spool.list(), std::vector<std::string>{half});
    EXPECT_EQ(spool.load(half)->recipients[1].state, RecipientState::delivered);

    ASSERT_TRUE(spool.checkpoint());
    EXPECT_FALSE(
        spool.mark_in_memory(half, {{0, RecipientState::delivered}}, true, marked.callback()))
        << "written by the checkpoint";
    EXPECT_FALSE(
        spool.mark_in_memory(done, {{0, RecipientState::delivered}}, true, marked.callback()))
        << "gone";
    EXPECT_EQ(spool.load(half)->recipients[0].state, RecipientState::pending);
}

// The server's last step with the journal: what was handed over is flushed and called back
// before close_journal() returns, the files still in memory are written, and from then on
// nothing goes through a journal.
TEST_F(JournaledSpoolTest, ClosingTheJournalCallsBackWhatWasHandedOverAndWritesTheFiles) {
    Spool spool(dir_.path() / "spool");
    ASSERT_TRUE(spool.open_journal(std::chrono::milliseconds(0)));
    const auto half = store_in(spool, {"bob@example.net", "carol@example.org"});
    const auto done = store_in(spool, {"bob@example.net"});
    Heard marked;
    ASSERT_TRUE(
        spool.mark_in_memory(half, {{1, RecipientState::delivered}}, false, marked.callback()));
    ASSERT_TRUE(
        spool.mark_in_memory(done, {{0, RecipientState::delivered}}, true, marked.callback()));

    spool.close_journal();
    EXPECT_EQ(marked.wait_for(0), (std::vector<std::string>{"", ""})) << "heard before it returned";
    EXPECT_EQ(spool.list(), std::vector<std::string>{half});
    EXPECT_TRUE(fs::exists(spool.path_of(half))) << "written by the last checkpoint";
    EXPECT_EQ(spool.load(half)->recipients[1].state, RecipientState::delivered);
    EXPECT_TRUE(Journal::segments(dir_.path() / "spool" / "journal").empty());
    EXPECT_FALSE(
        spool.mark_in_memory(half, {{0, RecipientState::delivered}}, true, marked.callback()))
        << "no journal any more";
}

TEST(UnwrittenFiles, KeepsWithinItsBudgetAndWritesUntilAFailure) {
    UnwrittenFiles files(10);
    EXPECT_TRUE(files.keep("a", "12345"));
    EXPECT_FALSE(files.keep("b", "123456")) << "past the budget";
    EXPECT_TRUE(files.keep("b", "12345"));
    EXPECT_FALSE(files.keep("c", "1"));
    EXPECT_TRUE(files.drop("b"));
    EXPECT_FALSE(files.drop("b"));
    EXPECT_TRUE(files.keep("c", "1"));
    std::vector<std::string> written;
    const auto error = files.write_all([&](const std::string& id, const std::string&) {
        if (!written.empty()) return std::string("disk full");
        written.push_back(id);
        return std::string();
    });
    EXPECT_EQ(error, "disk full");
    ASSERT_EQ(written.size(), 1u);
    EXPECT_EQ(files.ids().size(), 1u) << "the one not written stays";
    EXPECT_FALSE(files.with(written[0], [](std::string&) { return true; }));
}

// A clean stop leaves no journal: an older Herald, which knows none, can take the spool.
TEST_F(JournaledSpoolTest, ACleanEndLeavesNoJournal) {
    {
        Spool spool(dir_.path() / "spool");
        ASSERT_TRUE(spool.open_journal(std::chrono::milliseconds(0)));
        store_in(spool, {"bob@example.net"});
        EXPECT_FALSE(Journal::segments(journal_dir()).empty());
    }
    EXPECT_TRUE(Journal::segments(journal_dir()).empty());
    EXPECT_EQ(spool_.list().size(), 1u);
}

}  // namespace
}  // namespace herald::spool
