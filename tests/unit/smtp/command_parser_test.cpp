#include "smtp/command_parser.hpp"

#include <gtest/gtest.h>

namespace herald::smtp {
namespace {

MailArguments mail_ok(std::string_view arg) {
    auto parsed = parse_mail_arguments(arg);
    if (auto* r = std::get_if<Reply>(&parsed)) {
        ADD_FAILURE() << arg << " -> " << r->summary();
        return {};
    }
    return std::get<MailArguments>(parsed);
}

Reply mail_error(std::string_view arg) {
    auto parsed = parse_mail_arguments(arg);
    if (auto* r = std::get_if<Reply>(&parsed)) return *r;
    ADD_FAILURE() << arg << " was accepted";
    return {};
}

Reply rcpt_error(std::string_view arg, AddressSyntax syntax = AddressSyntax::ascii) {
    auto parsed = parse_rcpt_arguments(arg, syntax);
    if (auto* r = std::get_if<Reply>(&parsed)) return *r;
    ADD_FAILURE() << arg << " was accepted";
    return {};
}

TEST(CommandParser, RecognizesVerbsCaseInsensitively) {
    EXPECT_EQ(parse_command("ehlo client.example").verb, Verb::ehlo);
    EXPECT_EQ(parse_command("EhLo client.example").argument, "client.example");
    EXPECT_EQ(parse_command("QUIT").verb, Verb::quit);
    EXPECT_EQ(parse_command("StartTLS").verb, Verb::starttls);
    EXPECT_EQ(parse_command("AUTH PLAIN abc").argument, "PLAIN abc");
    EXPECT_EQ(parse_command("EXPN list").verb, Verb::unknown);
    EXPECT_EQ(parse_command("").verb, Verb::unknown);
    EXPECT_EQ(parse_command("MAILX FROM:<>").verb, Verb::unknown);
    EXPECT_EQ(parse_command(std::string("NOOP\0", 5)).verb, Verb::unknown);
}

TEST(CommandParser, ParsesMailFromWithParameters) {
    MailArguments a = mail_ok("FROM:<a@example.com> SIZE=1234 BODY=8BITMIME SMTPUTF8");
    EXPECT_EQ(a.sender.str(), "a@example.com");
    EXPECT_EQ(a.size, 1234u);
    EXPECT_TRUE(a.body_8bit);
    EXPECT_TRUE(a.smtputf8);
    EXPECT_FALSE(a.require_tls);
    EXPECT_TRUE(mail_ok("FROM:<a@example.com> REQUIRETLS").require_tls);
    MailArguments plain = mail_ok("from:<a@example.com> body=7bit");
    EXPECT_FALSE(plain.body_8bit);
    EXPECT_FALSE(plain.size);
}

TEST(CommandParser, ParsesBdatSizeAndLast) {
    EXPECT_EQ(parse_command("bdat 10 last").verb, Verb::bdat);
    const auto last = parse_bdat_arguments("10 last");
    ASSERT_TRUE(last);
    EXPECT_EQ(last->size, 10u);
    EXPECT_TRUE(last->last);
    EXPECT_FALSE(parse_bdat_arguments("0")->last);
    for (std::string_view bad : {"", "x", "10 FIRST", "10 LAST x", "-1", "10  LAST", " 10"}) {
        EXPECT_FALSE(parse_bdat_arguments(bad)) << bad;
    }
}

TEST(CommandParser, ToleratesOneSpaceAfterFrom) {
    EXPECT_EQ(mail_ok("FROM: <a@example.com>").sender.str(), "a@example.com");
    EXPECT_EQ(mail_error("FROM:  <a@example.com>").code, 501);
    EXPECT_EQ(mail_error("FROM : <a@example.com>").code, 501);
}

TEST(CommandParser, AcceptsTheNullSender) {
    EXPECT_TRUE(mail_ok("FROM:<>").sender.is_null());
    EXPECT_TRUE(mail_ok("FROM:<> SIZE=10").sender.is_null());
}

TEST(CommandParser, RejectsMalformedMailWith501) {
    for (std::string_view bad :
         {"", "FROM:", "FROM:a@example.com", "TO:<a@example.com>", "FROM:<a@example.com>SIZE=1",
          "FROM:<a@example.com", "FROM:<a b@example.com>", "FROM:<a@example.com> SIZE=",
          "FROM:<a@example.com> SIZE=12x", "FROM:<a@example.com> SIZE",
          "FROM:<a@example.com> BODY=BINARYMIME", "FROM:<a@example.com> SMTPUTF8=yes",
          "FROM:<a@example.com> REQUIRETLS=yes", "FROM:<a@example.com> REQUIRETLS REQUIRETLS",
          "FROM:<a@example.com> SIZE=1 SIZE=2", "FROM:<a@example.com> =x"}) {
        EXPECT_EQ(mail_error(bad).code, 501) << bad;
    }
    EXPECT_EQ(mail_error("FROM:a@example.com").enhanced, "5.5.4");
    EXPECT_EQ(mail_error("FROM:<a b@example.com>").enhanced, "5.1.7");
}

TEST(CommandParser, RejectsUnknownMailParametersWith555) {
    Reply r = mail_error("FROM:<a@example.com> MT-PRIORITY=3");
    EXPECT_EQ(r.code, 555);
    EXPECT_EQ(r.enhanced, "5.5.4");
}

TEST(CommandParser, SaturatesHugeSizes) {
    EXPECT_EQ(mail_ok("FROM:<a@x.example> SIZE=99999999999999999999").size, UINT64_MAX);
    EXPECT_EQ(mail_error("FROM:<a@x.example> SIZE=999999999999999999999").code, 501);
}

TEST(CommandParser, AllowsUtf8SenderOnlyWithSmtputf8) {
    const std::string utf8 =
        "FROM:<\xc3\xa9l\xc3\xa8ve@\xc3\xa9"
        "cole.example>";
    Reply r = mail_error(utf8);
    EXPECT_EQ(r.code, 553);
    EXPECT_EQ(r.enhanced, "5.6.7");
    EXPECT_TRUE(mail_ok(utf8 + " SMTPUTF8").sender.utf8);
}

TEST(CommandParser, ParsesRcptTo) {
    auto parsed = parse_rcpt_arguments("TO:<b@example.com>", AddressSyntax::ascii);
    ASSERT_TRUE(std::holds_alternative<RcptArguments>(parsed));
    EXPECT_EQ(std::get<RcptArguments>(parsed).recipient.str(), "b@example.com");
    auto spaced = parse_rcpt_arguments("to: <b@example.com>", AddressSyntax::ascii);
    EXPECT_TRUE(std::holds_alternative<RcptArguments>(spaced));
    auto postmaster = parse_rcpt_arguments("TO:<postmaster>", AddressSyntax::ascii);
    EXPECT_TRUE(std::holds_alternative<RcptArguments>(postmaster));
}

TEST(CommandParser, TakesTheDsnParameters) {
    auto mail = parse_mail_arguments("FROM:<a@example.com> RET=FULL ENVID=QQ+2B314");
    ASSERT_TRUE(std::holds_alternative<MailArguments>(mail));
    EXPECT_EQ(std::get<MailArguments>(mail).dsn_return, message::DsnReturn::full);
    EXPECT_EQ(std::get<MailArguments>(mail).envelope_id, "QQ+314");
    EXPECT_EQ(mail_error("FROM:<a@example.com> RET=ALL").code, 501);
    EXPECT_EQ(mail_error("FROM:<a@example.com> RET=FULL RET=HDRS").code, 501);
    EXPECT_EQ(mail_error("FROM:<a@example.com> ENVID=" + std::string(101, 'x')).code, 501);
    EXPECT_EQ(mail_error("FROM:<a@example.com> ENVID=a+0Ab").code, 501);

    auto rcpt = parse_rcpt_arguments(
        "TO:<a@example.com> NOTIFY=SUCCESS,FAILURE "
        "ORCPT=rfc822;Bob+2Bx@example.com",
        AddressSyntax::ascii);
    ASSERT_TRUE(std::holds_alternative<RcptArguments>(rcpt));
    const auto& dsn = std::get<RcptArguments>(rcpt).dsn;
    EXPECT_EQ(dsn.notify, message::RecipientDsn::success | message::RecipientDsn::failure);
    EXPECT_EQ(dsn.orcpt, "rfc822;Bob+x@example.com");
}

TEST(CommandParser, RejectsBadRcpt) {
    EXPECT_EQ(rcpt_error("TO:<>").enhanced, "5.1.3");
    EXPECT_EQ(rcpt_error("TO:<a@@example.com>").enhanced, "5.1.3");
    EXPECT_EQ(rcpt_error("FROM:<a@example.com>").enhanced, "5.5.4");
    EXPECT_EQ(rcpt_error("TO:<a@example.com> RRVS=2026-12-04T00:00:00Z").code, 555);
    EXPECT_EQ(rcpt_error("TO:<a@example.com> NOTIFY=NEVER,SUCCESS").code, 501);
    EXPECT_EQ(rcpt_error("TO:<a@example.com> NOTIFY=DELAY,DELAY").code, 501);
    EXPECT_EQ(rcpt_error("TO:<a@example.com> NOTIFY").code, 501);
    EXPECT_EQ(rcpt_error("TO:<a@example.com> NOTIFY=FAILURE NOTIFY=DELAY").code, 501);
    EXPECT_EQ(rcpt_error("TO:<a@example.com> ORCPT=bob@example.com").code, 501);
    EXPECT_EQ(rcpt_error("TO:<a@example.com> ORCPT=rfc822;bob+4").code, 501);
    EXPECT_EQ(rcpt_error("TO:<a@example.com> ORCPT=rfc822;a+0Ab@x.example").code, 501);
    EXPECT_EQ(rcpt_error("TO:<\xc3\xa9@example.com>").code, 553);
}

TEST(CommandParser, FindsTheEndOfAPathPastAQuotedAngle) {
    auto parsed = parse_rcpt_arguments(R"(TO:<"a>b"@example.com>)", AddressSyntax::ascii);
    ASSERT_TRUE(std::holds_alternative<RcptArguments>(parsed));
    EXPECT_EQ(std::get<RcptArguments>(parsed).recipient.unquoted_local_part(), "a>b");
}

TEST(CommandParser, KeepsSourceRouteFlagForThePolicy) {
    auto parsed = parse_rcpt_arguments("TO:<@hop.example:user@dest.example>", AddressSyntax::ascii);
    ASSERT_TRUE(std::holds_alternative<RcptArguments>(parsed));
    const Address& a = std::get<RcptArguments>(parsed).recipient;
    EXPECT_TRUE(a.has_source_route);
    EXPECT_EQ(a.str(), "user@dest.example");
}

}  // namespace
}  // namespace herald::smtp
