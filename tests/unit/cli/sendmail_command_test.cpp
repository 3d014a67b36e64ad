#include "cli/sendmail_command.hpp"

#include <gtest/gtest.h>

#include <sstream>

using herald::cli::parse_sendmail_args;
using herald::cli::read_sendmail_message;

TEST(SendmailArgs, ReadsSenderFlagsAndRecipients) {
    auto parsed = parse_sendmail_args(
        {"-t", "-i", "-f", "<app@example.com>", "a@x.example", "b@y.example, c@z.example"});
    ASSERT_TRUE(parsed.ok()) << parsed.error();
    EXPECT_TRUE(parsed->recipients_from_headers);
    EXPECT_FALSE(parsed->dot_ends_message);
    EXPECT_EQ(parsed->sender, "app@example.com");
    EXPECT_EQ(parsed->recipients,
              (std::vector<std::string>{"a@x.example", "b@y.example", "c@z.example"}));
}

TEST(SendmailArgs, AcceptsAttachedValuesAndIgnoresHarmlessOptions) {
    auto parsed = parse_sendmail_args({"-oi", "-odi", "-oem", "-fcron@example.com", "-FCron Daemon",
                                       "-v", "--", "-weird@x.example"});
    ASSERT_TRUE(parsed.ok()) << parsed.error();
    EXPECT_EQ(parsed->sender, "cron@example.com");
    EXPECT_EQ(parsed->full_name, "Cron Daemon");
    EXPECT_FALSE(parsed->dot_ends_message);
    EXPECT_EQ(parsed->recipients, std::vector<std::string>{"-weird@x.example"});
}

TEST(SendmailArgs, RefusesAMissingValueAndOtherModes) {
    EXPECT_FALSE(parse_sendmail_args({"-f"}).ok());
    EXPECT_FALSE(parse_sendmail_args({"-bs"}).ok());
    EXPECT_TRUE(parse_sendmail_args({"-bm", "a@x.example"}).ok());
}

TEST(SendmailArgs, DashBpListsTheQueueAsMailq) {
    auto parsed = parse_sendmail_args({"-bp", "-C", "herald.toml"});
    ASSERT_TRUE(parsed.ok()) << parsed.error();
    EXPECT_TRUE(parsed->list_queue);
    EXPECT_EQ(parsed->config, "herald.toml");
    EXPECT_FALSE(parse_sendmail_args({"a@x.example"})->list_queue);
}

TEST(SendmailMessage, ALoneDotEndsItUnlessDashI) {
    std::istringstream in1("Subject: a\n\nline\n.\nafter\n");
    EXPECT_EQ(read_sendmail_message(in1, true), "Subject: a\r\n\r\nline\r\n");
    std::istringstream in2("Subject: a\n\n.\nafter\n");
    EXPECT_EQ(read_sendmail_message(in2, false), "Subject: a\r\n\r\n.\r\nafter\r\n");
}

TEST(SendmailMessage, KeepsCrlfInputAsCrlf) {
    std::istringstream in("A: b\r\n\r\nx\r\n");
    EXPECT_EQ(read_sendmail_message(in, true), "A: b\r\n\r\nx\r\n");
}
