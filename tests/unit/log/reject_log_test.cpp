#include "log/reject_log.hpp"

#include <gtest/gtest.h>

#include "log/log_line.hpp"
#include "log_test_support.hpp"

namespace herald::log {
namespace {

TEST(RejectLog, LineHasHeloIpCommandAndReply) {
    TempLogDir dir;
    auto log = RejectLog::open(dir / "rejectlog");
    ASSERT_TRUE(log);
    (*log)->write("192.0.2.9", "RCPT TO:<x@example.net>", "550 5.7.1 Relaying denied",
                  "spammer.example");
    (*log)->write("192.0.2.9", "AUTH PLAIN", "535 5.7.8 Authentication failed");
    auto lines = lines_of(dir / "rejectlog");
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(after_timestamp(lines[0]),
              "H=spammer.example [192.0.2.9] \"RCPT TO:<x@example.net>\" rejected: "
              "\"550 5.7.1 Relaying denied\"");
    EXPECT_EQ(after_timestamp(lines[1]),
              "[192.0.2.9] \"AUTH PLAIN\" rejected: \"535 5.7.8 Authentication failed\"");

    auto parsed = parse_reject_log_line(lines[0]);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed->field("H"), "spammer.example");
    EXPECT_EQ(*parsed->field("ip"), "192.0.2.9");
    EXPECT_EQ(*parsed->field("command"), "RCPT TO:<x@example.net>");
    EXPECT_EQ(parsed->text, "550 5.7.1 Relaying denied");
}

TEST(RejectLog, AClientCannotForgeALineWithItsCommand) {
    TempLogDir dir;
    auto log = RejectLog::open(dir / "rejectlog");
    ASSERT_TRUE(log);
    const std::string command =
        "MAIL FROM:<a@b>\" rejected: \"250 ok\"\r\n2026-01-01T00:00:00.000Z [10.0.0.1] \"x";
    (*log)->write("192.0.2.9", command, "500 5.5.2 Syntax error", "h\nH=forged");
    auto lines = lines_of(dir / "rejectlog");
    ASSERT_EQ(lines.size(), 1u);
    auto parsed = parse_reject_log_line(lines[0]);
    ASSERT_TRUE(parsed) << lines[0];
    EXPECT_EQ(*parsed->field("command"), command);
    EXPECT_EQ(*parsed->field("H"), "h\nH=forged");
    EXPECT_EQ(parsed->text, "500 5.5.2 Syntax error");
}

}  // namespace
}  // namespace herald::log
