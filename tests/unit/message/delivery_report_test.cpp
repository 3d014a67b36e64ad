#include "message/delivery_report.hpp"

#include <gtest/gtest.h>

#include "base/timestamp.hpp"

namespace herald::message {
namespace {

bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

DeliveryReport sample() {
    return DeliveryReport{
        .reporting_host = "mail.example.com",
        .queue_id = "1k0wj328b6y13sf2qq6t",
        .arrival = std::chrono::system_clock::now(),
        .original_sender = "alice@example.com",
        .recipients = {{"bob@example.net", "550 5.1.1 <bob@example.net>: no such user",
                        "mx.example.net [192.0.2.1]"},
                       {"carol@example.org", "4.4.7 message expired", ""}},
        .original_message = "Subject: hello\r\nFrom: alice@example.com\r\n\r\nsecret body\r\n"};
}

TEST(DeliveryReport, CarriesTheSendersDsnRequest) {
    DeliveryReport report = sample();
    report.envelope_id = "QQ314";
    report.recipients[0].original_recipient = "rfc822;Bob@example.net";
    report.return_full = true;
    const std::string text = report.build("b@x");
    EXPECT_TRUE(contains(text, "Original-Envelope-Id: QQ314\r\nReporting-MTA: dns;"));
    EXPECT_TRUE(contains(text,
                         "Original-Recipient: rfc822;Bob@example.net\r\n"
                         "Final-Recipient: rfc822; bob@example.net\r\n"));
    EXPECT_TRUE(contains(text,
                         "Content-Type: message/rfc822\r\n\r\nSubject: hello\r\n"
                         "From: alice@example.com\r\n\r\nsecret body\r\n"));
    report.return_full = false;
    EXPECT_FALSE(contains(report.build("b@x"), "secret body"));
}

TEST(DeliveryReport, ASuccessNoticeSaysDeliveredOrRelayed) {
    DeliveryReport report = sample();
    report.action = DeliveryReport::Action::delivered;
    report.recipients = {
        {.address = "bob@example.net",
         .diagnostic = "250 2.0.0 Ok",
         .action = ReportAction::relayed},
        {.address = "carol@example.org", .diagnostic = "saved", .action = ReportAction::delivered}};
    const std::string text = report.build("b@x");
    EXPECT_TRUE(contains(text, "Subject: Successful Mail Delivery Report\r\n"));
    EXPECT_TRUE(contains(text, "bob@example.net\r\nAction: relayed\r\nStatus: 2.0.0\r\n"));
    EXPECT_TRUE(contains(text, "carol@example.org\r\nAction: delivered\r\nStatus: 2.0.0\r\n"));
}

TEST(StatusCodeOf, FindsTheEnhancedCodeOfADiagnostic) {
    EXPECT_EQ(status_code_of("550 5.1.1 no such user"), "5.1.1");
    EXPECT_EQ(status_code_of("4.4.7 message expired"), "4.4.7");
    EXPECT_EQ(status_code_of("550 no such user"), "5.0.0");
    EXPECT_EQ(status_code_of("550 5.1 partial"), "5.0.0");
    EXPECT_EQ(status_code_of(""), "5.0.0");
}

TEST(DeliveryReport, IsAMultipartReportToTheSenderFromMailerDaemon) {
    std::string text = sample().build("bounce.x@mail.example.com");
    EXPECT_TRUE(
        text.starts_with("From: Mail Delivery System <MAILER-DAEMON@mail.example.com>\r\n"));
    EXPECT_TRUE(contains(text, "To: <alice@example.com>\r\n"));
    EXPECT_TRUE(contains(text, "Auto-Submitted: auto-replied\r\n"));
    EXPECT_TRUE(contains(text, "Content-Type: multipart/report; report-type=delivery-status;"));
    EXPECT_TRUE(contains(text, "Content-Type: message/delivery-status\r\n"));
    EXPECT_TRUE(contains(text, "Content-Type: text/rfc822-headers\r\n"));
}

TEST(DeliveryReport, ReportsEachRecipientWithStatusAndDiagnostic) {
    std::string text = sample().build("b@x");
    EXPECT_TRUE(contains(text,
                         "Final-Recipient: rfc822; bob@example.net\r\nAction: failed\r\n"
                         "Status: 5.1.1\r\nRemote-MTA: dns; mx.example.net\r\n"));
    EXPECT_TRUE(contains(text,
                         "Final-Recipient: rfc822; carol@example.org\r\nAction: failed\r\n"
                         "Status: 4.4.7\r\n"));
}

TEST(DeliveryReport, IncludesTheOriginalHeadersButNotTheBody) {
    std::string text = sample().build("b@x");
    EXPECT_TRUE(contains(text, "Subject: hello\r\nFrom: alice@example.com\r\n"));
    EXPECT_FALSE(contains(text, "secret body"));
}

TEST(DeliveryReport, KeepsARemoteReplyFromBreakingItsLines) {
    DeliveryReport r = sample();
    r.recipients = {{"bob@example.net", "550 5.1.1 bad\r\nInjected: header", "mx [192.0.2.1]"}};
    std::string text = r.build("b@x");
    EXPECT_FALSE(contains(text, "\r\nInjected: header"));
}

}  // namespace
}  // namespace herald::message

namespace herald::message {
namespace {

TEST(DeliveryReport, ReturnsNoDkimSignatureOfTheOriginal) {
    DeliveryReport report = sample();
    report.original_message =
        "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s1;\r\n\tb=abc\r\n"
        "Subject: hello\r\ndkim-signature: v=1; d=other.example\r\n"
        "From: alice@example.com\r\n\r\nbody\r\n";
    const std::string text = report.build("bounce.x@mail.example.com");
    EXPECT_FALSE(contains(text, "DKIM-Signature")) << text;
    EXPECT_FALSE(contains(text, "dkim-signature")) << text;
    EXPECT_FALSE(contains(text, "b=abc")) << text;
    EXPECT_TRUE(contains(text, "Subject: hello\r\nFrom: alice@example.com\r\n")) << text;
}

TEST(DeliveryReport, ReturnsABoundedPartOfTheHeaderSectionInWholeFields) {
    DeliveryReport report = sample();
    std::string headers;
    for (int i = 0; i < 2000; ++i)
        headers += "X-Filler-" + std::to_string(i) + ": " + std::string(40, 'x') + "\r\n";
    report.original_message = "Subject: first\r\n" + headers + "\r\nbody\r\n";
    const std::string text = report.build("bounce.x@mail.example.com");
    EXPECT_LT(text.size(), DeliveryReport::kMaxReturnedHeaders + 4096);
    EXPECT_TRUE(contains(text, "Subject: first\r\n"));
    const auto part = text.find("text/rfc822-headers");
    ASSERT_NE(part, std::string::npos);
    // No field is cut in the middle: each returned line is a whole filler field.
    const auto last = text.rfind("X-Filler-");
    EXPECT_EQ(text.substr(text.find("\r\n", last) - 40, 40), std::string(40, 'x'));
}

}  // namespace
}  // namespace herald::message

namespace herald::message {
namespace {

using Clock = std::chrono::system_clock;

// The value of the first `name:` field at the start of a line, unfolded (RFC 5322 2.2.3);
// "" when there is none.
std::string unfolded_field(const std::string& text, const std::string& name) {
    const auto at = text.find("\r\n" + name + ": ");
    if (at == std::string::npos) return "";
    std::string value;
    for (auto pos = at + name.size() + 4; pos < text.size(); ++pos) {
        if (text.compare(pos, 2, "\r\n") == 0) {
            if (pos + 2 >= text.size() || (text[pos + 2] != ' ' && text[pos + 2] != '\t')) break;
            ++pos;  // CRLF WSP: the WSP stays, the CRLF goes
            continue;
        }
        value += text[pos];
    }
    return value;
}

// The text with its line breaks (and the indentation after them) as single spaces: what a
// reader of the wrapped human part reads.
std::string flattened(const std::string& text) {
    std::string out;
    for (std::size_t pos = 0; pos < text.size(); ++pos) {
        if (text.compare(pos, 2, "\r\n") != 0) {
            out += text[pos];
            continue;
        }
        out += ' ';
        for (pos += 2; pos < text.size() && text[pos] == ' ';) ++pos;
        --pos;
    }
    return out;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto end = text.find("\r\n", pos);
        if (end == std::string::npos) end = text.size();
        lines.push_back(text.substr(pos, end - pos));
        pos = end + 2;
    }
    return lines;
}

std::string delivery_status_part(const std::string& text) {
    const auto begin = text.find("Content-Type: message/delivery-status");
    const auto end = text.find("Content-Type: text/rfc822-headers");
    return text.substr(begin, end - begin);
}

DeliveryReport delayed_sample(Clock::time_point until) {
    DeliveryReport report = sample();
    report.action = DeliveryReport::Action::delayed;
    report.recipients = {{.address = "bob@example.net",
                          .diagnostic = "451 4.7.1 Greylisted, come back later",
                          .remote_host = "mx.example.net [192.0.2.1]",
                          .last_attempt = Clock::now()}};
    report.will_retry_until = until;
    return report;
}

TEST(DeliveryReport, ADelayWarningSaysDelayedWithTheLastErrorAndWhenHeraldGivesUp) {
    const auto until = Clock::now() + std::chrono::hours(116);
    const std::string text = delayed_sample(until).build("delay.x@mail.example.com");
    EXPECT_TRUE(contains(text, "Subject: Delayed Mail (still being retried)\r\n")) << text;
    EXPECT_EQ(unfolded_field(text, "Action"), "delayed");
    EXPECT_FALSE(contains(text, "Action: failed"));
    EXPECT_EQ(unfolded_field(text, "Status"), "4.7.1");
    EXPECT_EQ(unfolded_field(text, "Diagnostic-Code"),
              "smtp; 451 4.7.1 Greylisted, come back later");
    EXPECT_EQ(unfolded_field(text, "Remote-MTA"), "dns; mx.example.net");
    EXPECT_EQ(unfolded_field(text, "Will-Retry-Until"), rfc5322_date(until));
    EXPECT_FALSE(unfolded_field(text, "Last-Attempt-Date").empty());
    // The human part says it is still trying, until when, and what went wrong where.
    const std::string human = flattened(text);
    EXPECT_TRUE(contains(human, "still trying")) << text;
    EXPECT_TRUE(contains(human, "will give up at " + rfc5322_date(until))) << text;
    EXPECT_TRUE(contains(human,
                         "<bob@example.net>: host mx.example.net [192.0.2.1] said: 451 "
                         "4.7.1 Greylisted, come back later"))
        << text;
}

TEST(DeliveryReport, ADelayedRecipientWithoutAnEnhancedCodeIsStatus400) {
    DeliveryReport report = delayed_sample(Clock::now());
    report.recipients[0].diagnostic = "421 Service not available";
    EXPECT_EQ(unfolded_field(report.build("d@x"), "Status"), "4.0.0");
}

TEST(DeliveryReport, ABounceHasNoWillRetryUntilButItsLastAttemptDate) {
    DeliveryReport report = sample();
    report.recipients[0].last_attempt = Clock::now();
    report.will_retry_until = Clock::now();
    const std::string text = report.build("b@x");
    EXPECT_FALSE(contains(text, "Will-Retry-Until"));
    EXPECT_EQ(unfolded_field(text, "Action"), "failed");
    EXPECT_FALSE(unfolded_field(text, "Last-Attempt-Date").empty());
    EXPECT_TRUE(contains(text, "Subject: Undelivered Mail Returned to Sender\r\n"));
    EXPECT_TRUE(contains(flattened(text),
                         "<bob@example.net>: host mx.example.net [192.0.2.1] said: 550 5.1.1 "
                         "<bob@example.net>: no such user"))
        << text;
}

TEST(DeliveryReport, AGivenUpRecipientGivesItsReasonStatusAndLastError) {
    DeliveryReport report = sample();
    report.recipients = {{.address = "bob@example.net",
                          .diagnostic = "451 4.3.0 Local error (scripted)",
                          .remote_host = "mx.example.net [192.0.2.1]",
                          .reason = "bounced by the administrator",
                          .status = "5.0.0"}};
    const std::string text = report.build("b@x");
    EXPECT_EQ(unfolded_field(text, "Status"), "5.0.0");
    EXPECT_EQ(unfolded_field(text, "Diagnostic-Code"), "smtp; 451 4.3.0 Local error (scripted)");
    EXPECT_TRUE(contains(text, "<bob@example.net>: bounced by the administrator\r\n")) << text;
    EXPECT_TRUE(contains(flattened(text),
                         "The last error: host mx.example.net [192.0.2.1] said: 451 4.3.0"))
        << text;
}

TEST(DeliveryReport, OurOwnReasonIsNotCalledAnSmtpReply) {
    DeliveryReport report = sample();
    report.recipients = {{.address = "bob@example.net",
                          .diagnostic = "connect to mx.example.net: Connection refused",
                          .remote_host = "mx.example.net [192.0.2.1]"}};
    EXPECT_EQ(unfolded_field(report.build("b@x"), "Diagnostic-Code"),
              "x-herald; connect to mx.example.net: Connection refused");
}

TEST(DeliveryReport, CarriesNoEightBitByteNorControlFromAHostileReply) {
    DeliveryReport report = delayed_sample(Clock::now());
    report.recipients[0].diagnostic = "451 4.7.1 caf\xc3\xa9 \x01\x7f\xff tab\there\rCR\nLF";
    report.recipients[0].remote_host = "mx\xe2\x80\x8b.example.net [192.0.2.1]";
    const std::string text = report.build("d@x");
    const std::string status = delivery_status_part(text);
    for (char c : status) {
        const auto byte = static_cast<unsigned char>(c);
        EXPECT_TRUE(byte < 0x80 && byte != 0x7f && (byte >= ' ' || c == '\r' || c == '\n'))
            << "byte " << int(byte) << " in\n"
            << status;
    }
    EXPECT_EQ(unfolded_field(text, "Diagnostic-Code"), "smtp; 451 4.7.1 caf?? ? tab here CR LF");
    EXPECT_EQ(unfolded_field(text, "Remote-MTA"), "dns; mx???.example.net");
    EXPECT_FALSE(contains(text, "\r\nLF")) << text;
}

TEST(DeliveryReport, FoldsAVeryLongReplyIntoLinesWithinTheLimits) {
    std::string reply = "550 5.7.1";
    for (int i = 0; i < 500; ++i) reply += " word" + std::to_string(i);
    DeliveryReport report = sample();
    report.recipients = {{.address = "bob@example.net",
                          .diagnostic = reply,
                          .remote_host = "mx.example.net [192.0.2.1]"}};
    const std::string text = report.build("b@x");
    for (const auto& line : lines_of(text)) {
        EXPECT_LE(line.size(), 78u) << line;
        // A folded line of white space only is not allowed (RFC 5322 3.2.2).
        if (!line.empty()) {
            EXPECT_NE(line.find_first_not_of(" \t"), std::string::npos);
        }
    }
    const std::string code = unfolded_field(text, "Diagnostic-Code");
    EXPECT_TRUE(code.starts_with("smtp; 550 5.7.1 word0 word1 word2")) << code;
    EXPECT_TRUE(code.ends_with("...")) << code;
    EXPECT_LE(code.size(), DeliveryReport::kMaxDiagnostic + 10);
    EXPECT_TRUE(reply.starts_with(code.substr(6, code.size() - 9)));
}

TEST(DeliveryReport, KeepsAVeryLongWordWithinTheLineLimit) {
    DeliveryReport report = sample();
    report.recipients = {{.address = "bob@example.net",
                          .diagnostic = "550 " + std::string(20000, 'x'),
                          .remote_host = "mx.example.net [192.0.2.1]"}};
    const std::string text = report.build("b@x");
    for (const auto& line : lines_of(text)) EXPECT_LE(line.size(), 998u);
    EXPECT_LT(text.size(), 8000u);
}

}  // namespace
}  // namespace herald::message
