#include "smtp/reply.hpp"

#include <gtest/gtest.h>

namespace herald::smtp {
namespace {

TEST(Reply, WritesOneLineWithEnhancedCode) {
    EXPECT_EQ(Reply(250, "2.1.0", "Ok").wire(), "250 2.1.0 Ok\r\n");
}

TEST(Reply, WritesContinuationDashesOnAllButTheLastLine) {
    Reply r(250, "", std::vector<std::string>{"mx.example", "PIPELINING", "8BITMIME"});
    EXPECT_EQ(r.wire(), "250-mx.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
}

TEST(Reply, PutsEnhancedCodeBeforeEveryLine) {
    Reply r(550, "5.7.1", std::vector<std::string>{"first", "second"});
    EXPECT_EQ(r.wire(), "550-5.7.1 first\r\n550 5.7.1 second\r\n");
}

TEST(Reply, WritesAnEmptyChallengeAsCodeAndSpace) {
    EXPECT_EQ(Reply(334, "", "").wire(), "334 \r\n");
    EXPECT_EQ(Reply(334, "", std::vector<std::string>{}).wire(), "334 \r\n");
}

TEST(Reply, NeverLetsTextInjectReplyLines) {
    Reply r(554, "5.7.1", "denied\r\n250 Ok");
    EXPECT_EQ(r.wire(), "554 5.7.1 denied  250 Ok\r\n");
}

TEST(Reply, SummarizesOnOneLine) {
    EXPECT_EQ(Reply(554, "5.7.1", "Relay access denied").summary(),
              "554 5.7.1 Relay access denied");
    EXPECT_EQ(Reply(221, "", "bye").summary(), "221 bye");
    Reply multi(550, "5.1.1", std::vector<std::string>{"a", "b"});
    EXPECT_EQ(multi.summary(), "550 5.1.1 a b");
}

TEST(Reply, ClassifiesByCode) {
    EXPECT_TRUE(Reply(354, "", "go").positive());
    EXPECT_TRUE(Reply(451, "4.3.0", "x").transient());
    EXPECT_TRUE(Reply(550, "5.0.0", "x").permanent());
}

}  // namespace
}  // namespace herald::smtp
