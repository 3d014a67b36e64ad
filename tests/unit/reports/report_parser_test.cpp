#include "reports/report_parser.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace herald::reports {
namespace {

constexpr std::string_view kReturnPath =
    "b+01jd2k3m4n5p6q7r8s9t.abcdefghijklmnop=jane=example.net@bounces.example.com";
constexpr std::string_view kRecipient = "jane@example.net";
constexpr std::string_view kMessageId = "<20261203091229.4f2a@shop.example.com>";
constexpr std::string_view kSender = "news@shop.example.com";
constexpr std::string_view kRemoteMta = "mx1.example.net";

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

void replace_all(std::string& text, std::string_view from, std::string_view to) {
    for (std::size_t at = text.find(from); at != std::string::npos;
         at = text.find(from, at + to.size())) {
        text.replace(at, from.size(), to);
    }
}

// A fixture of tests/integration/reports/ with its placeholders filled in, LF line ends as
// stored, or CRLF as it arrives over SMTP.
std::string fixture(std::string_view name, bool crlf = false) {
    const std::string path =
        std::string(HERALD_SOURCE_DIR "/tests/integration/reports/") + std::string(name);
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in) << "cannot read " << path;
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string text = buffer.str();
    replace_all(text, "{{RETURN_PATH}}", kReturnPath);
    replace_all(text, "{{RECIPIENT}}", kRecipient);
    replace_all(text, "{{MESSAGE_ID}}", kMessageId);
    replace_all(text, "{{SENDER}}", kSender);
    replace_all(text, "{{REMOTE_MTA}}", kRemoteMta);
    EXPECT_FALSE(contains(text, "{{")) << name << " has a placeholder left";
    if (crlf) replace_all(text, "\n", "\r\n");
    return text;
}

const std::vector<std::string_view> kFixtures = {
    "gmail_dsn.eml",          "microsoft_ndr.eml", "yahoo_dsn.eml",     "postfix_dsn.eml",
    "exim_dsn.eml",           "exim_legacy.eml",   "delayed_dsn.eml",   "arf_yahoo.eml",
    "arf_microsoft_jmrp.eml", "arf_rfc5965.eml",   "malformed_dsn.eml", "arf_no_original.eml",
    "not_a_report.eml"};

bool has_return_path(const Report& report) {
    for (const auto& address : addresses_at(report.original_headers, "bounces.example.com")) {
        if (address == kReturnPath) return true;
    }
    return false;
}

// --- Delivery status notifications -------------------------------------------------------

TEST(ParseReport, ReadsGmailsFailureNotice) {
    const Report report = parse_report(fixture("gmail_dsn.eml"));
    ASSERT_EQ(report.kind, Report::Kind::delivery_status) << report.problem;
    EXPECT_EQ(report.problem, "");
    ASSERT_EQ(report.recipients.size(), 1u);
    const RecipientStatus& r = report.recipients[0];
    EXPECT_EQ(r.final_recipient, kRecipient);
    EXPECT_EQ(r.action, "failed");
    EXPECT_EQ(r.status, "5.1.1");
    EXPECT_EQ(r.remote_mta, kRemoteMta);
    EXPECT_EQ(r.diagnostic,
              "550 5.1.1 The email account that you tried to reach does not exist. Please try "
              "double-checking the recipient's email address for typos or unnecessary spaces. "
              "For more information, go to https://support.google.com/mail/?p=NoSuchUser "
              "4fb4d7f45d1cf-5d3f1c0b7e2si1893412a12.311 - gsmtp");
    EXPECT_TRUE(contains(report.text, "** Address not found **")) << report.text;
    EXPECT_TRUE(contains(report.original_headers, "Message-ID: " + std::string(kMessageId)));
    EXPECT_FALSE(contains(report.original_headers, "our December offers"));
    EXPECT_TRUE(has_return_path(report));
}

TEST(ParseReport, ReadsAnExchangeOnlineNdr) {
    const Report report = parse_report(fixture("microsoft_ndr.eml"));
    ASSERT_EQ(report.kind, Report::Kind::delivery_status) << report.problem;
    ASSERT_EQ(report.recipients.size(), 1u);
    const RecipientStatus& r = report.recipients[0];
    EXPECT_EQ(r.final_recipient, kRecipient);
    EXPECT_EQ(r.original_recipient, kRecipient);
    EXPECT_EQ(r.action, "failed");
    EXPECT_EQ(r.status, "5.1.10");
    // The semicolon inside the reply is no type separator.
    EXPECT_EQ(r.diagnostic,
              "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address "
              "lookup");
    EXPECT_EQ(r.remote_mta, "");
    // The quoted-printable human part is decoded: its soft line breaks are gone.
    EXPECT_TRUE(contains(report.text, "It might be misspelled or it might not exist."))
        << report.text;
    EXPECT_EQ(find_reply_in_text(report.text), "550 5.1.10");
    EXPECT_TRUE(has_return_path(report));
}

TEST(ParseReport, ReadsASendmailDsnForYahoosRefusal) {
    const Report report = parse_report(fixture("yahoo_dsn.eml"));
    ASSERT_EQ(report.kind, Report::Kind::delivery_status) << report.problem;
    ASSERT_EQ(report.recipients.size(), 1u);
    const RecipientStatus& r = report.recipients[0];
    EXPECT_EQ(r.final_recipient, kRecipient);  // "RFC822;" in capitals
    EXPECT_EQ(r.status, "5.0.0");
    EXPECT_EQ(r.remote_mta, kRemoteMta);
    EXPECT_TRUE(r.diagnostic.starts_with(
        "554 delivery error: dd This user doesn't have a yahoo.com account"))
        << r.diagnostic;
    // The first part has no header at all: text/plain by default.
    EXPECT_TRUE(contains(report.text, "The following addresses had permanent fatal errors"));
    EXPECT_TRUE(has_return_path(report));
}

TEST(ParseReport, ReadsPostfixsMailboxFullBounce) {
    const Report report = parse_report(fixture("postfix_dsn.eml"));
    ASSERT_EQ(report.kind, Report::Kind::delivery_status) << report.problem;
    ASSERT_EQ(report.recipients.size(), 1u);
    const RecipientStatus& r = report.recipients[0];
    EXPECT_EQ(r.final_recipient, kRecipient);
    EXPECT_EQ(r.original_recipient, kRecipient);
    EXPECT_EQ(r.status, "5.2.2");
    EXPECT_EQ(r.remote_mta, kRemoteMta);
    EXPECT_EQ(r.diagnostic, "552 5.2.2 <" + std::string(kRecipient) +
                                ">: Recipient address rejected: Mailbox full, quota exceeded");
    EXPECT_TRUE(has_return_path(report));
}

TEST(ParseReport, ReadsEximsMultipartReport) {
    const Report report = parse_report(fixture("exim_dsn.eml"));
    ASSERT_EQ(report.kind, Report::Kind::delivery_status) << report.problem;
    ASSERT_EQ(report.recipients.size(), 1u);
    const RecipientStatus& r = report.recipients[0];
    EXPECT_EQ(r.final_recipient, kRecipient);
    EXPECT_EQ(r.action, "failed");
    EXPECT_EQ(r.status, "5.0.0");
    EXPECT_TRUE(r.diagnostic.starts_with("550 5.1.1 <")) << r.diagnostic;
    EXPECT_TRUE(has_return_path(report));  // "Return-path:", lower-case p
}

TEST(ParseReport, ReadsAnEximBounceWithoutReportPartAsText) {
    const Report report = parse_report(fixture("exim_legacy.eml"));
    EXPECT_EQ(report.kind, Report::Kind::unknown);
    EXPECT_TRUE(report.recipients.empty());
    EXPECT_EQ(report.original_headers, "");
    EXPECT_TRUE(contains(report.text, "This message was created automatically"));
    EXPECT_EQ(find_reply_in_text(report.text), "550 5.1.1 User unknown");
    // The original is inline in the text: the return path can still be found there.
    bool found = false;
    for (const auto& address : addresses_at(report.text, "bounces.example.com")) {
        found = found || address == kReturnPath;
    }
    EXPECT_TRUE(found);
}

TEST(ParseReport, ReadsADelayNotice) {
    const Report report = parse_report(fixture("delayed_dsn.eml"));
    ASSERT_EQ(report.kind, Report::Kind::delivery_status) << report.problem;
    ASSERT_EQ(report.recipients.size(), 1u);
    const RecipientStatus& r = report.recipients[0];
    EXPECT_EQ(r.action, "delayed");
    EXPECT_EQ(r.status, "4.4.1");
    EXPECT_EQ(r.diagnostic,
              "connect to " + std::string(kRemoteMta) + "[192.0.2.60]:25: Connection timed out");
    EXPECT_TRUE(contains(report.text, "THIS IS A WARNING ONLY"));
    EXPECT_TRUE(has_return_path(report));  // from text/rfc822-headers
}

TEST(ParseReport, FallsBackToTheTextWhenTheDeliveryStatusIsBroken) {
    const Report report = parse_report(fixture("malformed_dsn.eml"));
    EXPECT_EQ(report.kind, Report::Kind::unknown);
    EXPECT_TRUE(report.recipients.empty());
    EXPECT_NE(report.problem, "");
    EXPECT_EQ(find_reply_in_text(report.text),
              "550 5.1.1 Recipient address rejected: User unknown (in reply to RCPT TO command)");
}

TEST(ParseReport, FindsNothingInAnAutoReply) {
    const Report report = parse_report(fixture("not_a_report.eml"));
    EXPECT_EQ(report.kind, Report::Kind::unknown);
    EXPECT_EQ(report.problem, "");
    EXPECT_TRUE(contains(report.text, "out of the office"));
    EXPECT_EQ(find_reply_in_text(report.text), std::nullopt);
}

// --- Feedback reports -------------------------------------------------------------------

TEST(ParseReport, ReadsTheRfc5965Example) {
    const Report report = parse_report(fixture("arf_rfc5965.eml"));
    ASSERT_EQ(report.kind, Report::Kind::feedback) << report.problem;
    const FeedbackFields& f = report.feedback;
    EXPECT_EQ(f.feedback_type, "abuse");
    EXPECT_EQ(f.user_agent, "SomeGenerator/1.0");
    EXPECT_EQ(f.version, "1");
    EXPECT_EQ(f.original_mail_from, kReturnPath);
    EXPECT_EQ(f.original_rcpt_to, kRecipient);
    EXPECT_EQ(f.source_ip, "192.0.2.10");
    EXPECT_EQ(f.arrival_date, "Thu, 3 Dec 2026 04:12:30 -0500");
    EXPECT_EQ(f.reported_domain, "shop.example.com");
    EXPECT_TRUE(has_return_path(report));
}

TEST(ParseReport, ReadsYahoosComplaintFeedbackLoop) {
    const Report report = parse_report(fixture("arf_yahoo.eml"));
    ASSERT_EQ(report.kind, Report::Kind::feedback) << report.problem;
    EXPECT_EQ(report.feedback.feedback_type, "abuse");
    EXPECT_EQ(report.feedback.user_agent, "Yahoo!-Mail-Feedback/2.0");
    EXPECT_EQ(report.feedback.arrival_date, "Thu, 03 Dec 2026 09:12:31 +0000");  // Received-Date
    EXPECT_TRUE(has_return_path(report));
}

TEST(ParseReport, ReadsMicrosoftsJmrpReport) {
    const Report report = parse_report(fixture("arf_microsoft_jmrp.eml"));
    ASSERT_EQ(report.kind, Report::Kind::feedback) << report.problem;
    EXPECT_EQ(report.feedback.feedback_type, "abuse");
    EXPECT_EQ(report.feedback.original_mail_from, "");
    EXPECT_TRUE(has_return_path(report));
    EXPECT_TRUE(contains(report.original_headers, "X-HmXmrOriginalRecipient"));
}

TEST(ParseReport, ReadsAFeedbackReportWithoutItsOriginal) {
    const Report report = parse_report(fixture("arf_no_original.eml"));
    ASSERT_EQ(report.kind, Report::Kind::feedback) << report.problem;
    EXPECT_EQ(report.original_headers, "");
    EXPECT_FALSE(has_return_path(report));
}

TEST(ParseReport, ReadsEveryFixtureTheSameWithCrlfLineEnds) {
    for (const auto name : kFixtures) {
        const Report lf = parse_report(fixture(name));
        const Report crlf = parse_report(fixture(name, true));
        EXPECT_EQ(lf.kind, crlf.kind) << name;
        ASSERT_EQ(lf.recipients.size(), crlf.recipients.size()) << name;
        for (std::size_t i = 0; i < lf.recipients.size(); ++i) {
            EXPECT_EQ(lf.recipients[i].final_recipient, crlf.recipients[i].final_recipient);
            EXPECT_EQ(lf.recipients[i].action, crlf.recipients[i].action) << name;
            EXPECT_EQ(lf.recipients[i].status, crlf.recipients[i].status) << name;
            EXPECT_EQ(lf.recipients[i].diagnostic, crlf.recipients[i].diagnostic) << name;
            EXPECT_EQ(lf.recipients[i].remote_mta, crlf.recipients[i].remote_mta) << name;
        }
        EXPECT_EQ(lf.feedback.feedback_type, crlf.feedback.feedback_type) << name;
        EXPECT_EQ(lf.feedback.original_mail_from, crlf.feedback.original_mail_from) << name;
        EXPECT_EQ(lf.original_headers.empty(), crlf.original_headers.empty()) << name;
        EXPECT_EQ(find_reply_in_text(lf.text), find_reply_in_text(crlf.text)) << name;
    }
}

// --- The structure of a report, read leniently -----------------------------------------------

std::string report_with(std::string_view delivery_status,
                        std::string_view part_type = "message/delivery-status") {
    return "From: MAILER-DAEMON@relay.example.org\n"
           "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n"
           "\n"
           "--b\n"
           "Content-Type: text/plain\n"
           "\n"
           "failed\n"
           "--b\n"
           "Content-Type: " +
           std::string(part_type) + "\n\n" + std::string(delivery_status) + "\n--b--\n";
}

TEST(ParseReport, ReadsFieldNamesInAnyCaseAndFoldedValues) {
    const Report report =
        parse_report(report_with("REPORTING-MTA: dns; relay.example.org\n"
                                 "\n"
                                 "final-recipient: RFC822;<Jane@Example.NET>\n"
                                 "ACTION: Failed\n"
                                 "status: 5.1.1 (user unknown)\n"
                                 "diagnostic-code: smtp; 550-5.1.1 no such\n"
                                 "\t550-5.1.1 user\n"
                                 "  550 5.1.1 here\n"));
    ASSERT_EQ(report.kind, Report::Kind::delivery_status) << report.problem;
    ASSERT_EQ(report.recipients.size(), 1u);
    EXPECT_EQ(report.recipients[0].final_recipient, "Jane@Example.NET");
    EXPECT_EQ(report.recipients[0].action, "failed");
    EXPECT_EQ(report.recipients[0].status, "5.1.1");
    EXPECT_EQ(report.recipients[0].diagnostic, "550 5.1.1 no such user here");
}

TEST(ParseReport, ReadsEveryRecipientGroup) {
    const Report report = parse_report(
        report_with("Reporting-MTA: dns; relay.example.org\n"
                    "\n"
                    "Final-Recipient: rfc822; a@example.net\nAction: failed\nStatus: 5.1.1\n"
                    "\n\n"
                    "Final-Recipient: rfc822; b@example.net\nAction: delayed\nStatus: 4.2.2\n"
                    "\n"
                    "Final-Recipient: rfc822; c@example.net\nAction: delivered\nStatus: 2.0.0\n"));
    ASSERT_EQ(report.kind, Report::Kind::delivery_status);
    ASSERT_EQ(report.recipients.size(), 3u);
    EXPECT_EQ(report.recipients[1].final_recipient, "b@example.net");
    EXPECT_EQ(report.recipients[1].action, "delayed");
    EXPECT_EQ(report.recipients[2].status, "2.0.0");
}

TEST(ParseReport, ReadsAReportWithoutItsPerMessageGroup) {
    const Report report =
        parse_report(report_with("Final-Recipient: rfc822; a@example.net\nAction: failed\n"));
    ASSERT_EQ(report.kind, Report::Kind::delivery_status);
    EXPECT_EQ(report.recipients.at(0).final_recipient, "a@example.net");
    EXPECT_EQ(report.recipients.at(0).status, "");
}

TEST(ParseReport, LeavesOutGroupsWithoutActionOrStatus) {
    const Report report = parse_report(
        report_with("Reporting-MTA: dns; relay.example.org\n\n"
                    "Final-Recipient: rfc822; a@example.net\nStatus: five\n\n"
                    "Final-Recipient: rfc822; b@example.net\nAction: failed\nStatus: 5.1.1\n"));
    ASSERT_EQ(report.kind, Report::Kind::delivery_status);
    ASSERT_EQ(report.recipients.size(), 1u);
    EXPECT_EQ(report.recipients[0].final_recipient, "b@example.net");
    EXPECT_NE(report.problem, "");
}

TEST(ParseReport, ReadsTheGlobalDeliveryStatusOfSmtputf8Mail) {
    const Report report = parse_report(report_with(
        "Reporting-MTA: dns; relay.example.org\n\n"
        "Final-Recipient: utf-8; j\xc3\xb6rg@example.net\nAction: failed\nStatus: 5.1.1\n",
        "message/global-delivery-status"));
    ASSERT_EQ(report.kind, Report::Kind::delivery_status);
    EXPECT_EQ(report.recipients.at(0).final_recipient, "j\xc3\xb6rg@example.net");
}

TEST(ParseReport, DecodesABase64DeliveryStatusPart) {
    // "Final-Recipient: rfc822; a@example.net\nAction: failed\nStatus: 5.1.1\n"
    const std::string message =
        "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
        "--b\nContent-Type: message/delivery-status\nContent-Transfer-Encoding: base64\n\n"
        "RmluYWwtUmVjaXBpZW50OiByZmM4MjI7IGFAZXhhbXBsZS5uZXQKQWN0aW9uOiBmYWlsZWQK\n"
        "U3RhdHVzOiA1LjEuMQo=\n"
        "--b--\n";
    const Report report = parse_report(message);
    ASSERT_EQ(report.kind, Report::Kind::delivery_status) << report.problem;
    EXPECT_EQ(report.recipients.at(0).status, "5.1.1");
}

TEST(ParseReport, FindsTheReportPartInsideMultipartMixed) {
    const std::string message =
        "Content-Type: multipart/mixed; boundary=outer\n\n"
        "--outer\nContent-Type: text/plain\n\nsee the attachment\n"
        "--outer\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; x\n\nFinal-Recipient: rfc822; a@example.net\nAction: failed\n"
        "--outer--\n";
    const Report report = parse_report(message);
    ASSERT_EQ(report.kind, Report::Kind::delivery_status) << report.problem;
    EXPECT_EQ(report.text, "see the attachment");
}

TEST(ParseReport, DoesNotReadAReportInsideTheReturnedMessage) {
    // A bounce of a bounce: the returned original is itself a DSN; only the outer one counts.
    const std::string message =
        "Content-Type: multipart/mixed; boundary=outer\n\n"
        "--outer\nContent-Type: message/rfc822\n\n"
        "Return-Path: <x@bounces.example.com>\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=inner\n\n"
        "--inner\nContent-Type: message/delivery-status\n\n"
        "Final-Recipient: rfc822; a@example.net\nAction: failed\nStatus: 5.1.1\n"
        "--inner--\n"
        "--outer--\n";
    const Report report = parse_report(message);
    EXPECT_EQ(report.kind, Report::Kind::unknown);
    EXPECT_TRUE(contains(report.original_headers, "Return-Path: <x@bounces.example.com>"));
}

TEST(ParseReport, SkipsABlankLineBeforeTheReturnedHeaders) {
    const std::string message =
        "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
        "--b\nContent-Type: text/rfc822-headers\n\n\r\n"
        "Return-Path: <x@bounces.example.com>\nSubject: hi\n"
        "--b--\n";
    EXPECT_EQ(parse_report(message).original_headers,
              "Return-Path: <x@bounces.example.com>\nSubject: hi");
}

TEST(ParseReport, SaysWhyAFeedbackReportIsUnusable) {
    const Report report =
        parse_report(report_with("User-Agent: x\nVersion: 1\n", "message/feedback-report"));
    EXPECT_EQ(report.kind, Report::Kind::unknown);
    EXPECT_TRUE(contains(report.problem, "Feedback-Type")) << report.problem;
}

TEST(ParseReport, ConvertsTheTextToUtf8) {
    const std::string message =
        "Content-Type: text/plain; charset=iso-8859-1\n\n"
        "Zustellung fehlgeschlagen: Empf\xe4nger unbekannt\n550 5.1.1 unknown\n";
    const Report report = parse_report(message);
    EXPECT_TRUE(contains(report.text, "Empf\xc3\xa4nger")) << report.text;
    EXPECT_EQ(find_reply_in_text(report.text), "550 5.1.1 unknown");
}

TEST(ParseReport, SkipsTheFromLineOfAnMboxCopy) {
    const Report report =
        parse_report("From MAILER-DAEMON  Thu Dec  3 09:12:41 2026\n" + fixture("postfix_dsn.eml"));
    EXPECT_EQ(report.kind, Report::Kind::delivery_status) << report.problem;
}

// --- Bad input: every answer, bounded --------------------------------------------------------

TEST(ParseReport, ReadsAnEmptyMessageAsNothing) {
    const Report report = parse_report("");
    EXPECT_EQ(report.kind, Report::Kind::unknown);
    EXPECT_EQ(report.text, "");
    EXPECT_EQ(report.original_headers, "");
}

TEST(ParseReport, ReadsTenMegabytesOfJunkQuickly) {
    std::mt19937 random(18);
    std::string junk(10 << 20, '\0');
    for (auto& c : junk) c = static_cast<char>(random());
    const auto start = std::chrono::steady_clock::now();
    const Report report = parse_report(junk);
    EXPECT_EQ(report.kind, Report::Kind::unknown);
    EXPECT_LE(report.text.size(), 64u * 1024);
    // Generous even under the sanitizers: what matters is that it is linear.
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

TEST(ParseReport, ReadsTenThousandRecipientGroups) {
    std::string groups = "Reporting-MTA: dns; relay.example.org\n";
    for (int i = 0; i < 10000; ++i) {
        groups += "\nFinal-Recipient: rfc822; user" + std::to_string(i) +
                  "@example.net\nAction: failed\nStatus: 5.1.1\n"
                  "Diagnostic-Code: smtp; 550 5.1.1 no such user\n";
    }
    const Report report = parse_report(report_with(groups));
    ASSERT_EQ(report.kind, Report::Kind::delivery_status);
    ASSERT_EQ(report.recipients.size(), 10000u);
    EXPECT_EQ(report.recipients.back().final_recipient, "user9999@example.net");
    EXPECT_EQ(report.problem, "");

    const Report more = parse_report(
        report_with(groups + "\nFinal-Recipient: rfc822; one@too.many\nAction: failed\n"));
    EXPECT_EQ(more.recipients.size(), 10000u);
    EXPECT_TRUE(contains(more.problem, "10000")) << more.problem;
}

TEST(ParseReport, SurvivesEveryTruncationOfEveryFixture) {
    for (const auto name : kFixtures) {
        const std::string message = fixture(name, true);
        for (std::size_t size = 0; size < message.size(); size += 7) {
            const Report report = parse_report(std::string_view(message).substr(0, size));
            EXPECT_LE(report.text.size(), 64u * 1024);
        }
    }
}

TEST(ParseReport, BoundsTenMegabytesOfEmptyParts) {
    std::string message = "Content-Type: multipart/mixed; boundary=b\n\n";
    while (message.size() < (10u << 20)) message += "--b\n\n";
    const auto start = std::chrono::steady_clock::now();
    const Report report = parse_report(message);
    EXPECT_EQ(report.kind, Report::Kind::unknown);
    EXPECT_NE(report.problem, "");  // the limit on parts is named
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

TEST(ParseReport, BoundsDeeplyNestedMultiparts) {
    std::string message;
    for (int i = 0; i < 20000; ++i) {
        message += "Content-Type: multipart/mixed; boundary=" + std::to_string(i) + "\n\n--" +
                   std::to_string(i) + "\n";
    }
    message +=
        "Content-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@b\n"
        "Action: failed\n";
    const Report report = parse_report(message);
    EXPECT_EQ(report.kind, Report::Kind::unknown);
    EXPECT_NE(report.problem, "");
}

TEST(ParseReport, BoundsAHugeHeaderSection) {
    // GMime's address parser takes minutes over a few megabytes like this one; it never sees it.
    std::string message = "To: ";
    while (message.size() < (4u << 20)) message += "\"(\\\"<, a@b ";
    message +=
        "\nContent-Type: multipart/report; boundary=b\n\n"
        "--b\nContent-Type: message/delivery-status\n\nAction: failed\n--b--\n";
    const auto start = std::chrono::steady_clock::now();
    const Report report = parse_report(message);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
    // Past 64 KiB a header section is body, however it goes on.
    EXPECT_EQ(report.kind, Report::Kind::unknown);
}

std::string report_typed(std::string_view content_type) {
    return "Content-Type: " + std::string(content_type) +
           "\n\n--b\nContent-Type: message/delivery-status\n\nAction: failed\n--b--\n";
}

TEST(ParseReport, ReadsOnlyTheStartOfAHugeContentType) {
    std::string params;
    for (int i = 0; i < 100000; ++i) params += "; p" + std::to_string(i) + "=\"(((\"";
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(parse_report(report_typed("multipart/report; boundary=b" + params)).kind,
              Report::Kind::delivery_status);
    EXPECT_EQ(parse_report(report_typed("multipart/report" + params + "; boundary=b")).kind,
              Report::Kind::unknown);
    std::string nested = "multipart/report; boundary=b; x=";
    nested += std::string(100000, '(') + std::string(100000, '"') + std::string(100000, '\\');
    parse_report(report_typed(nested));
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

TEST(ParseReport, BoundsAHugeDiagnostic) {
    const Report report = parse_report(
        report_with("Final-Recipient: rfc822; a@example.net\nAction: failed\nStatus: 5.1.1\n"
                    "Diagnostic-Code: smtp; 550 " +
                    std::string(1u << 20, 'x') + "\n" + std::string(100000, ' ') + "more\n"));
    ASSERT_EQ(report.kind, Report::Kind::delivery_status);
    EXPECT_LE(report.recipients.at(0).diagnostic.size(), 4096u);
}

// --- find_reply_in_text -------------------------------------------------------------------

TEST(FindReplyInText, TakesTheReplyFromItsCodeToTheEndOfTheLine) {
    EXPECT_EQ(find_reply_in_text("550 5.1.1 User unknown"), "550 5.1.1 User unknown");
    EXPECT_EQ(find_reply_in_text("  host mx.example.net [192.0.2.1]: 550 5.1.1 User unknown  \r\n"),
              "550 5.1.1 User unknown");
    EXPECT_EQ(find_reply_in_text("SMTP error from remote mail server after RCPT TO:<a@b>: "
                                 "550 5.1.1 User unknown"),
              "550 5.1.1 User unknown");
    EXPECT_EQ(find_reply_in_text("<a@b>: host x[192.0.2.1] said: 552 mailbox full"),
              "552 mailbox full");
    EXPECT_EQ(find_reply_in_text("<<< 554 delivery error: dd This user doesn't have an account"),
              "554 delivery error: dd This user doesn't have an account");
}

TEST(FindReplyInText, MakesTheFirstLineOfAMultiLineReplyAReply) {
    EXPECT_EQ(find_reply_in_text("Reason:\n550-5.1.1 User unknown\n550 5.1.1 more\n"),
              "550 5.1.1 User unknown");
}

TEST(FindReplyInText, IgnoresNumbersThatAreNoReply) {
    EXPECT_EQ(find_reply_in_text("Date: Thu, 3 Dec 2026 09:12:31 +0000\n"
                                 "Received 450 messages from 192.0.2.55 in 500 ms\n"
                                 "Order 4501234 and 5.1.1 alone\n"
                                 "Call 555-0100\n"),
              std::nullopt);
    EXPECT_EQ(find_reply_in_text("delivered with 250 ok"), std::nullopt);
    EXPECT_EQ(find_reply_in_text(""), std::nullopt);
}

TEST(FindReplyInText, NeedsAStatusOfTheSameClass) {
    EXPECT_EQ(find_reply_in_text("the server said 550 4.1.1 what"), std::nullopt);
    EXPECT_EQ(find_reply_in_text("the server said 451 4.7.1 try later"), "451 4.7.1 try later");
}

TEST(FindReplyInText, CutsALongReply) {
    const auto reply = find_reply_in_text("550 5.7.1 " + std::string(2000, 'x'));
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->size(), 512u);
}

TEST(FindReplyInText, StaysLinearOnHostileText) {
    std::string text(5u << 20, ' ');
    for (int i = 0; i < 1000000; ++i) text += "x 450";
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(find_reply_in_text(text), std::nullopt);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

// --- addresses_at -------------------------------------------------------------------------

TEST(AddressesAt, FindsEveryAddressAtTheDomain) {
    const std::string headers =
        "Return-Path: <b+id.mac=jane=example.net@Bounces.Example.COM>\n"
        "Received: from x by y for <jane@example.net>;\n"
        "To: \"Jane\" <jane@example.net>, b+other@bounces.example.com\n"
        "Cc: b+id.mac=jane=example.net@bounces.example.com\n";
    EXPECT_EQ(addresses_at(headers, "bounces.example.com"),
              (std::vector<std::string>{"b+id.mac=jane=example.net@Bounces.Example.COM",
                                        "b+other@bounces.example.com",
                                        "b+id.mac=jane=example.net@bounces.example.com"}));
}

TEST(AddressesAt, KeepsTheLocalPartAsWrittenAndEachAddressOnce) {
    EXPECT_EQ(
        addresses_at("To: B+X@bounces.example.com, B+X@bounces.example.com", "BOUNCES.example.com"),
        (std::vector<std::string>{"B+X@bounces.example.com"}));
}

TEST(AddressesAt, IgnoresOtherDomainsThatStartOrEndAlike) {
    EXPECT_TRUE(addresses_at("To: a@bounces.example.com.evil.example, b@xbounces.example.com, "
                             "c@bounces.example.community, d@sub.bounces.example.com, "
                             "@bounces.example.com",
                             "bounces.example.com")
                    .empty());
    EXPECT_EQ(addresses_at("To: a@bounces.example.com.", "bounces.example.com"),
              (std::vector<std::string>{"a@bounces.example.com"}));
    EXPECT_TRUE(addresses_at("To: a@b.example", "").empty());
}

TEST(AddressesAt, BoundsWhatItReturns) {
    std::string headers;
    for (int i = 0; i < 1000; ++i) headers += "To: a" + std::to_string(i) + "@x.example\n";
    EXPECT_EQ(addresses_at(headers, "x.example").size(), 100u);
    EXPECT_TRUE(addresses_at(std::string(5000, 'a') + "@x.example", "x.example").empty());
}

}  // namespace
}  // namespace herald::reports
