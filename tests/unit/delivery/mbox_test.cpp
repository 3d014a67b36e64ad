#include "delivery/transports/mbox.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <map>
#include <regex>
#include <thread>

#include "transport_test_support.hpp"

namespace herald::delivery {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Outcome = RecipientResult::Outcome;
using testing::envelope_from;
using testing::read_file;
using testing::run_delivery;
using testing::TempDir;

// A reader as RFC 4155 describes mboxrd: split at "From " lines, drop the separator line and
// the blank line before the next one, take one '>' off quoted From lines.
std::vector<std::string> read_mboxrd(const std::string& text) {
    std::vector<std::string> messages;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto end = text.find('\n', pos);
        std::string line = text.substr(pos, end == std::string::npos ? end : end - pos + 1);
        pos += line.size();
        if (line.starts_with("From ")) {
            messages.emplace_back();
            continue;
        }
        if (messages.empty()) return {"garbage before the first From line"};
        auto first = line.find_first_not_of('>');
        if (first > 0 && first != std::string::npos && line.substr(first).starts_with("From ")) {
            line.erase(0, 1);
        }
        messages.back() += line;
    }
    for (auto& m : messages) {
        if (m.ends_with("\n\n")) m.pop_back();
    }
    return messages;
}

std::string unquote_mboxrd(std::string_view quoted) {
    auto messages = read_mboxrd("From x Thu Jan  1 00:00:00 1970\n" + std::string(quoted) + "\n");
    return messages.size() == 1 ? messages[0] : "<split into " + std::to_string(messages.size());
}

TEST(MboxrdQuote, AddsOneQuoteToFromLinesAlreadyQuotedOrNot) {
    EXPECT_EQ(mboxrd_quote("From me\n>From you\n>>From them\n"),
              ">From me\n>>From you\n>>>From them\n");
}

TEST(MboxrdQuote, LeavesOtherLinesAlone) {
    std::string text = "From: a@x\nFromage\n From x\n>From\nfrom x\n>>\nx From y\n\n";
    EXPECT_EQ(mboxrd_quote(text), text);
}

TEST(MboxrdQuote, QuotesALastLineWithoutNewline) {
    EXPECT_EQ(mboxrd_quote("a\nFrom x"), "a\n>From x");
    EXPECT_EQ(mboxrd_quote(""), "");
}

TEST(MboxrdQuote, RoundTripsAnyFromLikeBody) {
    std::string body =
        "From the start\nSubject: s\n\nFrom here\n>From there\n>>>From far\n>>>Fro\nFrom\n";
    EXPECT_EQ(unquote_mboxrd(mboxrd_quote(body)), body);
}

TEST(MboxFromLine, HasTheAsctimeForm) {
    std::string line = mbox_from_line("a@x.example", std::chrono::system_clock::now());
    std::regex form(R"(^From a@x\.example [A-Z][a-z]{2} [A-Z][a-z]{2} [ 1-3][0-9] )"
                    R"([0-2][0-9]:[0-5][0-9]:[0-6][0-9] [0-9]{4}\n$)");
    EXPECT_TRUE(std::regex_match(line, form)) << line;
}

TEST(MboxFromLine, NamesMailerDaemonForTheNullSender) {
    EXPECT_TRUE(mbox_from_line("", {}).starts_with("From MAILER-DAEMON "));
}

TEST(MboxFromLine, KeepsASenderWithSpacesInOneField) {
    EXPECT_TRUE(mbox_from_line("\"a b\"@x\n", {}).starts_with("From \"a_b\"@x_ "));
}

TEST(MboxEntry, EndsWithABlankLine) {
    auto entry = mbox_entry("a@x", {}, "S: x\n\nFrom body\n");
    EXPECT_TRUE(entry.ends_with("S: x\n\n>From body\n\n")) << entry;
    EXPECT_TRUE(mbox_entry("a@x", {}, "no newline").ends_with("\nno newline\n\n"));
}

TEST(MboxAppend, CreatesAPrivateFileAndAppendsEntries) {
    TempDir tmp;
    auto file = tmp / "spool/mail/alice";
    ASSERT_TRUE(mbox_append(file, mbox_entry("a@x", {}, "S: 1\n\none\n")).ok());
    ASSERT_TRUE(mbox_append(file, mbox_entry("", {}, "S: 2\n\nFrom two\n")).ok());
    auto messages = read_mboxrd(read_file(file));
    ASSERT_EQ(messages.size(), 2u);
    EXPECT_EQ(messages[0], "S: 1\n\none\n");
    EXPECT_EQ(messages[1], "S: 2\n\nFrom two\n");
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ASSERT_EQ(::stat((tmp / "spool").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    EXPECT_FALSE(fs::exists(tmp / "spool/mail/alice.lock"));
}

TEST(MboxAppend, StartsOnANewParagraphAfterAnUnterminatedMailbox) {
    TempDir tmp;
    auto file = tmp / "box";
    { std::ofstream(file) << "From old Thu Jan  1 00:00:00 1970\nS: old\n\nno newline"; }
    ASSERT_TRUE(mbox_append(file, mbox_entry("a@x", {}, "S: new\n\nbody\n")).ok());
    auto messages = read_mboxrd(read_file(file));
    ASSERT_EQ(messages.size(), 2u);
    EXPECT_EQ(messages[0], "S: old\n\nno newline\n");
    EXPECT_EQ(messages[1], "S: new\n\nbody\n");
}

TEST(MboxAppend, WaitsForAFreshDotlockThenGivesUp) {
    TempDir tmp;
    auto file = tmp / "box";
    { std::ofstream(tmp / "box.lock"); }
    auto started = std::chrono::steady_clock::now();
    auto appended = mbox_append(file, "From a x\nb\n\n", {.wait = 200ms, .stale = 300s});
    ASSERT_FALSE(appended.ok());
    EXPECT_GE(std::chrono::steady_clock::now() - started, 200ms);
    EXPECT_NE(appended.error().find("locked"), std::string::npos) << appended.error();
    EXPECT_TRUE(fs::exists(tmp / "box.lock")) << "someone else's lock must be left alone";
    EXPECT_FALSE(fs::exists(file) && fs::file_size(file) > 0);
}

TEST(MboxAppend, BreaksAStaleDotlock) {
    TempDir tmp;
    auto file = tmp / "box";
    auto lock = tmp / "box.lock";
    { std::ofstream(lock.string()); }
    struct timeval old[2] = {{std::time(nullptr) - 3600, 0}, {std::time(nullptr) - 3600, 0}};
    ASSERT_EQ(::utimes(lock.c_str(), old), 0);
    ASSERT_TRUE(mbox_append(file, "From a x\nb\n\n", {.wait = 200ms, .stale = 300s}).ok());
    EXPECT_EQ(read_mboxrd(read_file(file)).size(), 1u);
    EXPECT_FALSE(fs::exists(lock));
}

TEST(MboxAppend, RespectsAnFcntlLockHeldByAnotherProcess) {
    TempDir tmp;
    auto file = tmp / "box";
    { std::ofstream(file.string()); }
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // A classic POSIX record lock, as mail(1) or procmail would take.
        int fd = ::open(file.c_str(), O_RDWR);
        struct flock fl {};
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
        bool locked = fd >= 0 && ::fcntl(fd, F_SETLK, &fl) == 0;
        (void)!::write(ready[1], locked ? "1" : "0", 1);
        ::sleep(2);
        ::_exit(0);
    }
    char c = 0;
    ASSERT_EQ(::read(ready[0], &c, 1), 1);
    ASSERT_EQ(c, '1');
    auto appended = mbox_append(file, "From a x\nb\n\n", {.wait = 200ms, .stale = 300s});
    EXPECT_FALSE(appended.ok());
    EXPECT_FALSE(fs::exists(tmp / "box.lock"));
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    ::close(ready[0]);
    ::close(ready[1]);
    EXPECT_TRUE(mbox_append(file, "From a x\nb\n\n", {.wait = 2s, .stale = 300s}).ok());
    EXPECT_EQ(read_file(file), "From a x\nb\n\n");
}

TEST(MboxAppend, CutsTheFileBackWhenAWriteFails) {
    TempDir tmp;
    auto file = tmp / "box";
    std::string first = mbox_entry("a@x", {}, "S: 1\n\nkept\n");
    ASSERT_TRUE(mbox_append(file, first).ok());
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // A file size limit makes write(2) fail part way, like a full disk would.
        std::signal(SIGXFSZ, SIG_IGN);
        struct rlimit limit {};
        limit.rlim_cur = limit.rlim_max = first.size() + 1000;
        ::setrlimit(RLIMIT_FSIZE, &limit);
        auto appended = mbox_append(file, mbox_entry("a@x", {}, std::string(100000, 'x') + "\n"));
        ::_exit(appended.ok()                                                  ? 1
                : appended.error().find("File too large") != std::string::npos ? 0
                                                                               : 2);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
    EXPECT_EQ(read_file(file), first);
    EXPECT_FALSE(fs::exists(tmp / "box.lock"));
}

std::string numbered_message(int writer, int n) {
    std::string body = "Subject: " + std::to_string(writer) + "/" + std::to_string(n) + "\n\n";
    for (int line = 0; line < 200; ++line) {
        body += (line % 7 == 0 ? "From " : "line ") + std::to_string(writer) + " " +
                std::to_string(n) + " " + std::to_string(line) + "\n";
    }
    return body;
}

void expect_every_message_whole(const fs::path& file, int writers, int per_writer) {
    auto messages = read_mboxrd(read_file(file));
    ASSERT_EQ(messages.size(), static_cast<std::size_t>(writers * per_writer));
    std::map<std::string, int> seen;
    for (const auto& m : messages) ++seen[m];
    for (int w = 0; w < writers; ++w) {
        for (int n = 0; n < per_writer; ++n) {
            EXPECT_EQ(seen[numbered_message(w, n)], 1) << w << "/" << n;
        }
    }
}

TEST(MboxAppend, DoesNotInterleaveConcurrentThreads) {
    TempDir tmp;
    auto file = tmp / "box";
    constexpr int kWriters = 6, kEach = 20;
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int w = 0; w < kWriters; ++w) {
        threads.emplace_back([&, w] {
            for (int n = 0; n < kEach; ++n) {
                if (!mbox_append(file, mbox_entry("a@x", {}, numbered_message(w, n)))) ++failures;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(failures, 0);
    expect_every_message_whole(file, kWriters, kEach);
}

TEST(MboxAppend, DoesNotInterleaveConcurrentProcesses) {
    TempDir tmp;
    auto file = tmp / "box";
    constexpr int kWriters = 4, kEach = 20;
    std::vector<pid_t> children;
    for (int w = 0; w < kWriters; ++w) {
        pid_t child = ::fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            int failures = 0;
            for (int n = 0; n < kEach; ++n) {
                if (!mbox_append(file, mbox_entry("a@x", {}, numbered_message(w, n)))) ++failures;
            }
            ::_exit(failures);
        }
        children.push_back(child);
    }
    for (pid_t child : children) {
        int status = 0;
        ASSERT_EQ(::waitpid(child, &status, 0), child);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    expect_every_message_whole(file, kWriters, kEach);
}

TEST(MboxTransport, AppendsOneEntryPerRecipient) {
    TempDir tmp;
    MboxTransport transport("local", (tmp / "mail/{user}").string());
    auto envelope = envelope_from("s@x.example", {"Ann@example.com", "ben@example.com"});
    Delivery delivery{"id1", envelope, envelope.recipients,
                      "Subject: hi\r\n\r\nFrom the top\r\n>From quoted\r\n"};
    auto results = run_delivery(transport, delivery);
    ASSERT_EQ(results.size(), 2u);
    for (const auto& [result, user] :
         {std::pair{results[0], "ann"}, std::pair{results[1], "ben"}}) {
        EXPECT_EQ(result.outcome, Outcome::delivered) << result.detail;
        EXPECT_EQ(result.detail, "saved");
        EXPECT_EQ(result.remote_host, (tmp / "mail" / user).string());
        std::string text = read_file(tmp / "mail" / user);
        EXPECT_TRUE(text.starts_with("From s@x.example ")) << text;
        auto messages = read_mboxrd(text);
        ASSERT_EQ(messages.size(), 1u);
        EXPECT_EQ(messages[0], "Return-Path: <s@x.example>\nDelivered-To: " + result.recipient +
                                   "\nSubject: hi\n\nFrom the top\n>From quoted\n");
    }
}

TEST(MboxTransport, FailsUnsafeNamesAndDefersIoErrors) {
    TempDir tmp;
    fs::create_directories(tmp / "mail/dir-in-the-way");
    MboxTransport transport("local", (tmp / "mail/{user}").string(), nullptr,
                            {.wait = 100ms, .stale = 300s});
    auto envelope = envelope_from("", {"a..b@example.com", "dir-in-the-way@example.com"});
    auto results = run_delivery(transport, {"id1", envelope, envelope.recipients, "S: x\r\n\r\n"});
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[0].outcome, Outcome::failed);
    EXPECT_EQ(results[1].outcome, Outcome::deferred);
    EXPECT_FALSE(results[1].detail.empty());
    EXPECT_FALSE(fs::exists(tmp / "mail/dir-in-the-way.lock"));
}

}  // namespace
}  // namespace herald::delivery
