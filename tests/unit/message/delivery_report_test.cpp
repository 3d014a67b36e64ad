#include "message/delivery_report.hpp"

#include <gtest/gtest.h>

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
        .failed = {{"bob@example.net", "550 5.1.1 <bob@example.net>: no such user",
                    "mx.example.net [192.0.2.1]"},
                   {"carol@example.org", "4.4.7 message expired", ""}},
        .original_message = "Subject: hello\r\nFrom: alice@example.com\r\n\r\nsecret body\r\n"};
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
    r.failed = {{"bob@example.net", "550 5.1.1 bad\r\nInjected: header", "mx [192.0.2.1]"}};
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
