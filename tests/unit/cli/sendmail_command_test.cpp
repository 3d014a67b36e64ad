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

TEST(SendmailArgs, DashNRAndVAskForDeliveryStatusNotifications) {
    using herald::message::DsnReturn;
    using herald::message::RecipientDsn;
    auto parsed =
        parse_sendmail_args({"-N", "success,failure", "-Rfull", "-V", "batch 7+1", "a@x.example"});
    ASSERT_TRUE(parsed.ok()) << parsed.error();
    EXPECT_EQ(parsed->dsn.notify, RecipientDsn::success | RecipientDsn::failure);
    EXPECT_EQ(parsed->dsn.ret, DsnReturn::full);
    EXPECT_EQ(parsed->dsn.envelope_id, "batch 7+1");
    EXPECT_EQ(parse_sendmail_args({"-Nnever", "a@x.example"})->dsn.notify, 0);
    EXPECT_EQ(parse_sendmail_args({"a@x.example"})->dsn, herald::message::MessageDsn{});
}

TEST(SendmailArgs, RefusesDsnValuesSmtpWouldRefuse) {
    for (const auto& bad : std::vector<std::vector<std::string>>{{"-N", "sometimes"},
                                                                 {"-N", "never,success"},
                                                                 {"-N", "success,success"},
                                                                 {"-R", "body"},
                                                                 {"-V", std::string(101, 'x')},
                                                                 {"-V", "tab\there"}}) {
        auto parsed = parse_sendmail_args(bad);
        ASSERT_FALSE(parsed.ok()) << bad[0] << " " << bad[1];
        EXPECT_NE(parsed.error().find(bad[0]), std::string::npos) << parsed.error();
    }
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
