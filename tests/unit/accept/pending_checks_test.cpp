#include "accept/pending_checks.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herald::accept {
namespace {

class PendingChecksTest : public ::testing::Test {
  protected:
    PendingChecks checks_{2, [this](const std::string& line) { notes_.push_back(line); }};
    std::vector<std::string> notes_;
};

TEST_F(PendingChecksTest, ChecksRunUpToTheLimitAndGiveTheirPlaceBack) {
    {
        auto first = checks_.take();
        auto second = checks_.take();
        ASSERT_TRUE(first);
        ASSERT_TRUE(second);
        EXPECT_EQ(checks_.pending(), 2u);
    }
    EXPECT_EQ(checks_.pending(), 0u);
    EXPECT_TRUE(checks_.take());
    EXPECT_TRUE(notes_.empty());
}

TEST_F(PendingChecksTest, BeyondTheLimitMessagesGoUncheckedAndTheMainlogSaysSoOnce) {
    auto first = checks_.take();
    std::optional<PendingChecks::Slot> second = checks_.take();
    EXPECT_FALSE(checks_.take());
    EXPECT_FALSE(checks_.take());
    EXPECT_FALSE(checks_.take());
    ASSERT_EQ(notes_.size(), 1u);
    EXPECT_NE(notes_[0].find("2 wait on DNS ([dns] max_pending_checks)"), std::string::npos)
        << notes_[0];
    second.reset();  // one ends: the next message is checked again, and the count told
    ASSERT_EQ(notes_.size(), 2u);
    EXPECT_NE(notes_[1].find("3 messages went unchecked"), std::string::npos) << notes_[1];
    EXPECT_TRUE(checks_.take());
}

TEST_F(PendingChecksTest, APlaceMovedIntoACheckIsGivenBackOnce) {
    auto slot = checks_.take();
    ASSERT_TRUE(slot);
    {
        PendingChecks::Slot moved(std::move(*slot));
        slot.reset();  // the moved-from place gives nothing back
        EXPECT_EQ(checks_.pending(), 1u);
    }
    EXPECT_EQ(checks_.pending(), 0u);
}

}  // namespace
}  // namespace herald::accept
