#include "spool/message_id.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <string>
#include <vector>

namespace herald::spool {
namespace {

std::vector<std::string> generate(std::size_t n) {
    std::vector<std::string> ids;
    ids.reserve(n);
    for (std::size_t i = 0; i < n; ++i) ids.push_back(new_message_id());
    return ids;
}

TEST(MessageId, IsTwentyFileNameSafeCharacters) {
    auto id = new_message_id();
    EXPECT_EQ(id.size(), kMessageIdLength);
    EXPECT_TRUE(is_generated_message_id(id));
    EXPECT_TRUE(is_valid_message_id(id));
    EXPECT_EQ(id.find_first_not_of("0123456789abcdefghjkmnpqrstvwxyz"), std::string::npos);
}

TEST(MessageId, HundredThousandInARowAreUniqueAndSorted) {
    auto ids = generate(100000);
    std::set<std::string> unique(ids.begin(), ids.end());
    EXPECT_EQ(unique.size(), ids.size());
    for (std::size_t i = 1; i < ids.size(); ++i) {
        ASSERT_LT(ids[i - 1], ids[i]) << "at " << i;
    }
}

TEST(MessageId, ACounterThatWrapsWithinOneMicrosecondStaysSorted) {
    // random >> 32 seeds the counter: this one starts three short of its wrap.
    MessageIdSequence sequence(std::uint64_t{0xFFFFD} << 32);
    constexpr std::uint64_t kNow = 1'700'000'000'000'000;
    std::vector<std::string> ids;
    for (int i = 0; i < 8; ++i) ids.push_back(sequence.next(kNow));
    for (std::size_t i = 1; i < ids.size(); ++i) {
        ASSERT_LT(ids[i - 1], ids[i]) << "at " << i;
    }
    // The clock catching up with the borrowed microsecond must not go back either.
    EXPECT_LT(ids.back(), sequence.next(kNow + 1));
}

TEST(MessageId, TwoProcessesGeneratingAtOnceNeverCollide) {
    new_message_id();  // the parent's state exists before fork: the child must not reuse it
    constexpr std::size_t kEach = 50000;
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(fds[0]);
        std::string all;
        for (const auto& id : generate(kEach)) all += id;
        std::size_t done = 0;
        while (done < all.size()) {
            ssize_t n = ::write(fds[1], all.data() + done, all.size() - done);
            if (n <= 0) ::_exit(1);
            done += static_cast<std::size_t>(n);
        }
        ::_exit(0);
    }
    ::close(fds[1]);
    auto mine = generate(kEach);
    std::string theirs;
    char buffer[65536];
    for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) theirs.append(buffer, n);
    ::close(fds[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ASSERT_EQ(theirs.size(), kEach * kMessageIdLength);

    std::set<std::string> all(mine.begin(), mine.end());
    for (std::size_t i = 0; i < kEach; ++i) {
        all.insert(theirs.substr(i * kMessageIdLength, kMessageIdLength));
    }
    EXPECT_EQ(all.size(), 2 * kEach);
}

TEST(MessageId, ValidIdsCannotNameAnotherPath) {
    EXPECT_FALSE(is_valid_message_id(""));
    EXPECT_FALSE(is_valid_message_id(".."));
    EXPECT_FALSE(is_valid_message_id("a/b"));
    EXPECT_FALSE(is_valid_message_id(".hidden"));
    EXPECT_FALSE(is_valid_message_id("id.tmp"));
    EXPECT_FALSE(is_valid_message_id(std::string(65, 'a')));
    EXPECT_FALSE(is_valid_message_id(std::string("a\0b", 3)));
    EXPECT_TRUE(is_valid_message_id("Msg_1-2"));
    EXPECT_FALSE(is_generated_message_id("Msg_1-2"));
}

}  // namespace
}  // namespace herald::spool
