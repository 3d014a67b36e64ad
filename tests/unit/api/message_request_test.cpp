#include "api/message_request.hpp"

#include <gtest/gtest.h>

#include <string>

namespace herald::api {
namespace {

// What a refusal looks like, or {0, "accepted"} when there is none.
RequestError refusal(std::string_view body, const RequestLimits& limits = {}) {
    auto result = parse_message_request(body, limits);
    if (auto* error = std::get_if<RequestError>(&result)) return *error;
    return {0, "accepted", ""};
}

MessageRequest accepted(std::string_view body, const RequestLimits& limits = {}) {
    auto result = parse_message_request(body, limits);
    if (auto* error = std::get_if<RequestError>(&result)) {
        ADD_FAILURE() << error->status << " " << error->code << ": " << error->message;
        return {};
    }
    return std::get<MessageRequest>(std::move(result));
}

// A request with `rest` (JSON members, with a leading comma) after from and to.
std::string request(std::string_view rest) {
    return R"({"from": "App <app@example.com>", "to": ["ann@example.net"])" + std::string(rest) +
           "}";
}

std::string with_text(std::string_view rest) {
    return request(R"(, "subject": "Hi", "text": "Hello")" + std::string(rest));
}

std::string json_string(std::string_view s) {
    return "\"" + std::string(s) + "\"";
}

// A JSON array of `count` distinct addresses at `domain`.
std::string addresses(std::size_t count, std::string_view domain) {
    std::string out = "[";
    for (std::size_t i = 0; i < count; ++i) {
        if (i > 0) out += ',';
        out += json_string("user" + std::to_string(i) + "@" + std::string(domain));
    }
    return out + "]";
}

void expect_refused(const std::string& body, unsigned status, std::string_view code,
                    std::string_view mentioned = {}, const RequestLimits& limits = {}) {
    const RequestError e = refusal(body, limits);
    EXPECT_EQ(e.code, code) << e.message << "\n  for " << body.substr(0, 300);
    EXPECT_EQ(e.status, status) << e.code << ": " << e.message;
    if (!mentioned.empty()) {
        EXPECT_NE(e.message.find(mentioned), std::string::npos)
            << "\"" << e.message << "\" does not mention " << mentioned;
    }
}

TEST(MessageRequest, AcceptsAStructuredMessage) {
    const MessageRequest r = accepted(with_text(R"(, "html": "<p>Hello</p>")"));
    EXPECT_EQ(r.from.address, "app@example.com");
    EXPECT_EQ(r.from.name, "App");
    ASSERT_EQ(r.to.size(), 1u);
    EXPECT_EQ(r.to[0].address, "ann@example.net");
    EXPECT_EQ(r.to[0].name, "");
    EXPECT_EQ(r.subject, "Hi");
    EXPECT_EQ(r.text, "Hello");
    EXPECT_EQ(r.html, "<p>Hello</p>");
    EXPECT_FALSE(r.raw);
    EXPECT_FALSE(r.is_batch());
}

TEST(MessageRequest, TruncatedJsonIsMalformed) {
    expect_refused(R"({"from": "app@example.com", "to": [)", 400, "malformed_json");
    expect_refused("", 400, "malformed_json");
    expect_refused(with_text("") + "}", 400, "malformed_json");
}

TEST(MessageRequest, ABodyThatIsNotAnObjectIsMalformed) {
    expect_refused("[]", 400, "malformed_json");
    expect_refused(R"("from")", 400, "malformed_json");
    expect_refused("null", 400, "malformed_json");
}

TEST(MessageRequest, DeepNestingIsMalformedNotACrash) {
    expect_refused(std::string(100000, '['), 400, "malformed_json");
    expect_refused(request(R"(, "x": )" + std::string(5000, '[') + std::string(5000, ']')), 400,
                   "malformed_json");
}

TEST(MessageRequest, UnknownTopLevelFieldsAreRefusedByName) {
    expect_refused(request(R"(, "subject": "Hi", "htlm": "<p>")"), 400, "unknown_field", "htlm");
}

TEST(MessageRequest, AFieldOfTheWrongTypeIsNamed) {
    expect_refused(request(R"(, "subject": 5, "text": "x")"), 400, "invalid_field", "subject");
    expect_refused(request(R"(, "subject": "Hi", "text": ["x"])"), 400, "invalid_field", "text");
    expect_refused(R"({"from": "app@example.com", "to": "ann@example.net", "raw": "From: a\n"})",
                   400, "invalid_field", "to");
    expect_refused(R"({"from": "app@example.com", "to": ["ann@example.net", 7], "raw": "x"})", 400,
                   "invalid_field", "to[1]");
    expect_refused(R"({"from": ["app@example.com"], "to": ["ann@example.net"], "raw": "x"})", 400,
                   "invalid_field", "from");
    expect_refused(with_text(R"(, "headers": ["X-A: b"])"), 400, "invalid_field", "headers");
    expect_refused(with_text(R"(, "attachments": {})"), 400, "invalid_field", "attachments");
    expect_refused(request(R"(, "raw": {"From": "a"})"), 400, "invalid_field", "raw");
}

TEST(MessageRequest, DsnAsksForNotificationsOfEveryRecipient) {
    const MessageRequest r = accepted(
        with_text(R"(, "dsn": {"notify": "success,FAILURE", "ret": "full", "envid": "order 7"})"));
    EXPECT_EQ(r.dsn.notify, message::RecipientDsn::success | message::RecipientDsn::failure);
    EXPECT_EQ(r.dsn.ret, message::DsnReturn::full);
    EXPECT_EQ(r.dsn.envelope_id, "order 7");
    EXPECT_EQ(accepted(with_text(R"(, "dsn": {"notify": "never"})")).dsn.notify, 0);
    EXPECT_EQ(accepted(with_text("")).dsn, message::MessageDsn{});
    EXPECT_EQ(accepted(with_text(R"(, "dsn": null)")).dsn, message::MessageDsn{});
}

TEST(MessageRequest, DsnValuesSmtpWouldRefuseAreRefusedByName) {
    expect_refused(with_text(R"(, "dsn": "never")"), 400, "invalid_field", "dsn");
    expect_refused(with_text(R"(, "dsn": {"notify": "never,delay"})"), 400, "invalid_field",
                   "dsn.notify");
    expect_refused(with_text(R"(, "dsn": {"notify": ["success"]})"), 400, "invalid_field",
                   "dsn.notify");
    expect_refused(with_text(R"(, "dsn": {"ret": "body"})"), 400, "invalid_field", "dsn.ret");
    expect_refused(with_text(R"(, "dsn": {"envid": "a\u0001b"})"), 400, "invalid_field",
                   "dsn.envid");
    const std::string long_id(101, 'x');
    expect_refused(with_text(R"(, "dsn": {"envid": ")" + long_id + R"("})"), 400, "invalid_field",
                   "dsn.envid");
    expect_refused(with_text(R"(, "dsn": {"orcpt": "x"})"), 400, "unknown_field", "orcpt");
}

TEST(MessageRequest, NullIsTheSameAsAbsent) {
    const MessageRequest r = accepted(with_text(R"(, "cc": null, "html": null)"));
    EXPECT_TRUE(r.cc.empty());
    EXPECT_EQ(r.html, "");
    expect_refused(R"({"from": null, "to": ["ann@example.net"], "raw": "From: a\n"})", 400,
                   "missing_field", "from");
}

TEST(MessageRequest, FromIsRequiredAndIsNeverTheNullSender) {
    expect_refused(R"({"to": ["ann@example.net"], "subject": "x", "text": "y"})", 400,
                   "missing_field", "from");
    expect_refused(R"({"from": "", "to": ["ann@example.net"], "subject": "x", "text": "y"})", 400,
                   "invalid_address", "from");
    expect_refused(R"({"from": "<>", "to": ["ann@example.net"], "subject": "x", "text": "y"})", 400,
                   "invalid_address", "from");
    expect_refused(
        R"({"from": "postmaster", "to": ["ann@example.net"], "subject": "x", "text": "y"})", 400,
        "invalid_address", "no domain");
}

TEST(MessageRequest, AddressesAreCanonical) {
    const MessageRequest r = accepted(
        R"({"from": "App <App@EXAMPLE.COM>",
            "to": ["\"bob\"@Example.NET", "\"a b\"@example.net", "user@BÜCHER.example",
                   "< spaced@example.net >"],
            "raw": "From: a@example.com\r\n\r\nhi"})");
    EXPECT_EQ(r.from.address, "App@example.com");
    ASSERT_EQ(r.to.size(), 4u);
    EXPECT_EQ(r.to[0].address, "bob@example.net");
    EXPECT_EQ(r.to[1].address, "\"a b\"@example.net");
    EXPECT_EQ(r.to[2].address, "user@xn--bcher-kva.example");
    EXPECT_EQ(r.to[3].address, "spaced@example.net");
}

TEST(MessageRequest, DisplayNamesMayBeQuotedWithCommasAndEscapes) {
    const MessageRequest r = accepted(
        R"({"from": "\"Doe, Jane\" <jane@example.com>",
            "to": ["\"Say \\\"hi\\\" <now>\" <ann@example.net>", "Zoë Ü <zoe@example.net>",
                   "<bare@example.net>"],
            "subject": "x", "text": "y"})");
    EXPECT_EQ(r.from.name, "Doe, Jane");
    EXPECT_EQ(r.from.address, "jane@example.com");
    ASSERT_EQ(r.to.size(), 3u);
    EXPECT_EQ(r.to[0].name, "Say \"hi\" <now>");
    EXPECT_EQ(r.to[0].address, "ann@example.net");
    EXPECT_EQ(r.to[1].name, "Zoë Ü");
    EXPECT_EQ(r.to[2].name, "");
    EXPECT_EQ(r.to[2].address, "bare@example.net");
}

TEST(MessageRequest, ABadAddressIsRefusedWithItsFieldAndValue) {
    expect_refused(R"({"from": "app@example.com", "to": ["ann@example.net", "not an address"],
                       "subject": "x", "text": "y"})",
                   400, "invalid_address", "to[1]");
    expect_refused(R"({"from": "app@example.com", "to": ["ann@example.net"],
                       "cc": ["Bob <bob@>"], "subject": "x", "text": "y"})",
                   400, "invalid_address", "\"Bob <bob@>\"");
    expect_refused(R"({"from": "\"Open <app@example.com>", "to": ["ann@example.net"],
                       "subject": "x", "text": "y"})",
                   400, "invalid_address", "from");
    expect_refused(R"({"from": "app@example.com>", "to": ["ann@example.net"],
                       "subject": "x", "text": "y"})",
                   400, "invalid_address", "from");
}

TEST(MessageRequest, ALongOrHostileValueIsShortenedAndEscapedInTheMessage) {
    const std::string hostile = std::string(5000, 'a') + "\\u0001\\r\\n";
    const RequestError e =
        refusal(R"({"from": "app@example.com", "to": [")" + hostile + R"("], "raw": "From: a\n"})");
    EXPECT_EQ(e.code, "invalid_address");
    EXPECT_LT(e.message.size(), 200u);
    EXPECT_NE(e.message.find("..."), std::string::npos);
    const RequestError control =
        refusal(R"({"from": "app@example.com", "to": ["a\u0001b\r\n@x\u00ff"],
                                           "raw": "From: a\n"})");
    EXPECT_EQ(control.code, "invalid_address");
    EXPECT_NE(control.message.find("a\\x01b\\x0d\\x0a@x"), std::string::npos) << control.message;
    EXPECT_EQ(control.message.find('\n'), std::string::npos);
}

TEST(MessageRequest, ToMustBeANonEmptyArray) {
    expect_refused(R"({"from": "app@example.com", "subject": "x", "text": "y"})", 400,
                   "missing_field", "to");
    expect_refused(R"({"from": "app@example.com", "to": [], "subject": "x", "text": "y"})", 400,
                   "invalid_field", "to");
}

TEST(MessageRequest, DuplicateRecipientsAreDroppedKeepingTheFirst) {
    const MessageRequest r = accepted(
        R"({"from": "app@example.com",
            "to": ["Ann <ann@example.net>", "ann@EXAMPLE.net", "\"ann\"@example.net"],
            "cc": ["ann@example.net", "Cid <cid@example.net>"],
            "bcc": ["cid@Example.Net", "dan@example.net", "Ann@example.net"],
            "subject": "x", "text": "y"})");
    ASSERT_EQ(r.to.size(), 1u);
    EXPECT_EQ(r.to[0].name, "Ann");
    ASSERT_EQ(r.cc.size(), 1u);
    EXPECT_EQ(r.cc[0].address, "cid@example.net");
    ASSERT_EQ(r.bcc.size(), 2u);
    EXPECT_EQ(r.bcc[0].address, "dan@example.net");
    // The local part keeps its case (RFC 5321 2.4): Ann and ann are two mailboxes.
    EXPECT_EQ(r.bcc[1].address, "Ann@example.net");
}

TEST(MessageRequest, RecipientsAreToThenCcThenBcc) {
    const MessageRequest r = accepted(
        R"({"from": "app@example.com", "to": ["t1@example.net", "t2@example.net"],
            "cc": ["c@example.net"], "bcc": ["b@example.net"], "subject": "x", "text": "y"})");
    EXPECT_EQ(r.recipients(), (std::vector<std::string>{"t1@example.net", "t2@example.net",
                                                        "c@example.net", "b@example.net"}));
}

TEST(MessageRequest, AThousandRecipientsAreAcceptedAndAThousandAndOneRefused) {
    const std::string head = R"({"from": "app@example.com", "subject": "x", "text": "y", )";
    EXPECT_EQ(accepted(head + R"("to": )" + addresses(1000, "example.net") + "}").to.size(), 1000u);
    expect_refused(head + R"("to": )" + addresses(1001, "example.net") + "}", 422,
                   "too_many_recipients", "1000");
    expect_refused(head + R"("to": )" + addresses(500, "a.example") + R"(, "cc": )" +
                       addresses(500, "b.example") + R"(, "bcc": ["one@c.example"]})",
                   422, "too_many_recipients");
    // Duplicates are not sent, so they do not count.
    const MessageRequest r = accepted(head + R"("to": )" + addresses(1000, "example.net") +
                                      R"(, "cc": ["user0@example.net", "user1@EXAMPLE.net"]})");
    EXPECT_TRUE(r.cc.empty());
}

TEST(MessageRequest, TheRecipientLimitIsConfigurable) {
    RequestLimits limits;
    limits.max_recipients = 2;
    expect_refused(with_text(R"(, "cc": ["b@example.net", "c@example.net"])"), 422,
                   "too_many_recipients", "2", limits);
}

TEST(MessageRequest, RawAndStructuredContentConflict) {
    expect_refused(request(R"(, "raw": "From: a\n\nx", "subject": "Hi")"), 400,
                   "conflicting_fields");
    expect_refused(request(R"(, "raw_base64": "RnJvbTogYQoK", "text": "Hi")"), 400,
                   "conflicting_fields");
    expect_refused(request(R"(, "raw": "From: a\n\nx", "raw_base64": "RnJvbTogYQoK")"), 400,
                   "conflicting_fields");
    expect_refused(request(R"(, "raw": "From: a\n\nx", "headers": {"X-A": "b"})"), 400,
                   "conflicting_fields");
}

TEST(MessageRequest, ContentIsRequired) {
    expect_refused(request(""), 400, "missing_field");
    expect_refused(request(R"(, "subject": "Hi")"), 400, "missing_field", "text");
    expect_refused(request(R"(, "text": "Hi")"), 400, "missing_field");
    EXPECT_EQ(accepted(request(R"(, "subject": "", "html": "<p>")")).html, "<p>");
}

TEST(MessageRequest, RawIsKeptAsGivenBareLineFeedsIncluded) {
    const MessageRequest r =
        accepted(request(R"(, "raw": "From: a@example.com\nSubject: x\n\nbody\n")"));
    ASSERT_TRUE(r.raw);
    EXPECT_EQ(*r.raw, "From: a@example.com\nSubject: x\n\nbody\n");
    EXPECT_TRUE(r.subject.empty());
}

TEST(MessageRequest, RawBase64IsDecoded) {
    // "From: a@example.com\r\n\r\n\xff\xfe" (8-bit: base64 is how bytes that are not UTF-8 come)
    const MessageRequest r =
        accepted(request(R"(, "raw_base64": "RnJvbTogYUBleGFtcGxlLmNvbQ0KDQr//g==")"));
    ASSERT_TRUE(r.raw);
    EXPECT_EQ(*r.raw, "From: a@example.com\r\n\r\n\xff\xfe");
}

TEST(MessageRequest, InvalidBase64IsRefused) {
    expect_refused(request(R"(, "raw_base64": "RnJvbTogYQ=")"), 400, "invalid_base64",
                   "raw_base64");
    expect_refused(request(R"(, "raw_base64": "!!!!")"), 400, "invalid_base64");
    expect_refused(request(R"(, "raw_base64": 12)"), 400, "invalid_field");
    expect_refused(with_text(R"(, "attachments": [{"filename": "a.txt", "content": "aGk"}])"), 400,
                   "invalid_base64", "attachments[0].content");
}

TEST(MessageRequest, ARawMessageMustHaveAFromField) {
    expect_refused(request(R"(, "raw": "")"), 422, "invalid_message", "empty");
    expect_refused(request(R"(, "raw": "Subject: x\n\nbody")"), 422, "invalid_message", "From");
    expect_refused(request(R"(, "raw": "just some text")"), 422, "invalid_message");
    expect_refused(request(R"(, "raw": "\nFrom: a@example.com\n")"), 422, "invalid_message");
    // "\n\n" base64: a message that is only a blank line.
    expect_refused(request(R"(, "raw_base64": "Cgo=")"), 422, "invalid_message");
}

TEST(MessageRequest, ARawMessageWithANulIsUnsendable) {
    expect_refused(request(R"(, "raw": "From: a@example.com\n\nx\u0000y")"), 422, "invalid_message",
                   "NUL");
    // "From: a\n\n\0"
    expect_refused(request(R"(, "raw_base64": "RnJvbTogYQoKAA==")"), 422, "invalid_message", "NUL");
}

TEST(MessageRequest, TextThatIsNotUtf8IsRefusedByName) {
    const std::string bad = "\xff\xfe";
    expect_refused(request(R"(, "subject": "Hi", "text": ")" + bad + "\""), 400, "invalid_utf8",
                   "text");
    expect_refused(request(R"(, "subject": "Hi", "html": "<p>)" + bad + "\""), 400, "invalid_utf8",
                   "html");
    expect_refused(request(R"(, "subject": ")" + bad + R"(", "text": "x")"), 400, "invalid_utf8",
                   "subject");
    expect_refused(with_text(R"(, "headers": {"X-A": ")" + bad + "\"}"), 400, "invalid_utf8",
                   "X-A");
    expect_refused(R"({"from": ")" + bad + R"( <app@example.com>", "to": ["ann@example.net"],
                       "subject": "x", "text": "y"})",
                   400, "invalid_utf8", "from");
    // An overlong encoding and a lone surrogate are not UTF-8 either (RFC 3629 3).
    expect_refused(request(R"(, "subject": "Hi", "text": ")"
                           "\xc0\xaf"
                           R"(")"),
                   400, "invalid_utf8");
    expect_refused(request(R"(, "subject": "Hi", "text": ")"
                           "\xed\xa0\x80"
                           R"(")"),
                   400, "invalid_utf8");
    // Written as a JSON escape, a lone surrogate is no character at all.
    EXPECT_EQ(refusal(request(R"(, "subject": "Hi", "text": "\ud800")")).status, 400u);
}

TEST(MessageRequest, LineBreaksInTheSubjectAreHeaderInjection) {
    expect_refused(request(R"(, "subject": "Hi\r\nBcc: victim@example.org", "text": "x")"), 400,
                   "header_injection", "subject");
    expect_refused(request(R"(, "subject": "Hi\nthere", "text": "x")"), 400, "header_injection");
    expect_refused(request(R"(, "subject": "Hi\rthere", "text": "x")"), 400, "header_injection");
    expect_refused(request(R"(, "subject": "bell\u0007", "text": "x")"), 400, "header_injection");
    expect_refused(request(R"(, "subject": "c1\u0085", "text": "x")"), 400, "header_injection");
    EXPECT_EQ(accepted(request(R"(, "subject": "tab\there ü", "text": "x")")).subject,
              "tab\there ü");
}

TEST(MessageRequest, LineBreaksInHeaderValuesAndDisplayNamesAreHeaderInjection) {
    expect_refused(with_text(R"(, "headers": {"X-A": "b\r\nBcc: victim@example.org"})"), 400,
                   "header_injection", "X-A");
    expect_refused(R"({"from": "\"App\r\nBcc: v@example.org\" <app@example.com>",
                       "to": ["ann@example.net"], "subject": "x", "text": "y"})",
                   400, "header_injection", "from");
    expect_refused(R"({"from": "app@example.com", "to": ["Ann\n <ann@example.net>"],
                       "subject": "x", "text": "y"})",
                   400, "header_injection", "to[0]");
}

TEST(MessageRequest, TheSubjectIsAtMost998Octets) {
    EXPECT_EQ(accepted(request(R"(, "subject": ")" + std::string(998, 's') + R"(", "text": "x")"))
                  .subject.size(),
              998u);
    expect_refused(request(R"(, "subject": ")" + std::string(999, 's') + R"(", "text": "x")"), 422,
                   "subject_too_long", "998");
}

TEST(MessageRequest, AttachmentsAreDecodedWithAContentTypeOrTheDefault) {
    const MessageRequest r = accepted(with_text(
        R"(, "attachments": [{"filename": "a.pdf", "content_type": "Application/PDF",
                              "content": "JVBERi0="},
                             {"filename": "rapport été.bin", "content": ""}])"));
    ASSERT_EQ(r.attachments.size(), 2u);
    EXPECT_EQ(r.attachments[0].filename, "a.pdf");
    EXPECT_EQ(r.attachments[0].content_type, "application/pdf");
    EXPECT_EQ(r.attachments[0].content, "%PDF-");
    EXPECT_EQ(r.attachments[1].filename, "rapport été.bin");
    EXPECT_EQ(r.attachments[1].content_type, "application/octet-stream");
    EXPECT_EQ(r.attachments[1].content, "");
}

TEST(MessageRequest, AttachmentFilenamesHaveNoPathsOrControlCharacters) {
    for (const char* name :
         {"", "../etc/passwd", "dir/a.txt", "c:\\\\a.txt", "a\\r\\nb.txt", "a\\u0000.txt"}) {
        expect_refused(with_text(R"(, "attachments": [{"filename": ")" + std::string(name) +
                                 R"(", "content": "aGk="}])"),
                       400, "invalid_filename", "attachments[0].filename");
    }
    expect_refused(with_text(R"(, "attachments": [{"content": "aGk="}])"), 400, "missing_field",
                   "filename");
    expect_refused(with_text(R"(, "attachments": [{"filename": "a", "content": "aGk="}, 3])"), 400,
                   "invalid_field", "attachments[1]");
}

TEST(MessageRequest, AttachmentContentIsRequired) {
    expect_refused(with_text(R"(, "attachments": [{"filename": "a.txt"}])"), 400, "missing_field",
                   "content");
}

TEST(MessageRequest, UnknownAttachmentKeysAreRefused) {
    expect_refused(
        with_text(
            R"(, "attachments": [{"filename": "a.txt", "content": "aGk=", "conten_type": "text/plain"}])"),
        400, "unknown_field", "conten_type");
}

TEST(MessageRequest, AttachmentContentTypesAreTypeSlashSubtype) {
    for (const char* type : {"pdf", "text/", "/plain", "text/plain; charset=utf-8", "text /plain",
                             "multipart/mixed", "text/pl\\u00e4in"}) {
        expect_refused(with_text(R"(, "attachments": [{"filename": "a", "content_type": ")" +
                                 std::string(type) + R"(", "content": "aGk="}])"),
                       400, "invalid_content_type", "content_type");
    }
    EXPECT_EQ(accepted(with_text(R"(, "attachments": [{"filename": "a",
                                    "content_type": "application/vnd.ms-excel+xml",
                                    "content": "aGk="}])"))
                  .attachments[0]
                  .content_type,
              "application/vnd.ms-excel+xml");
}

TEST(MessageRequest, TooManyAttachmentsAreUnsendable) {
    RequestLimits limits;
    limits.max_attachments = 2;
    const std::string one = R"({"filename": "a", "content": "aGk="})";
    EXPECT_EQ(accepted(with_text(R"(, "attachments": [)" + one + "," + one + "]"), limits)
                  .attachments.size(),
              2u);
    expect_refused(with_text(R"(, "attachments": [)" + one + "," + one + "," + one + "]"), 422,
                   "too_many_attachments", "2", limits);
}

TEST(MessageRequest, ExtraHeadersKeepTheirOrder) {
    const MessageRequest r = accepted(with_text(
        R"(, "headers": {"X-Campaign": "spring", "Reply-To": "help@example.com",
                         "List-Unsubscribe": "<https://example.com/u>",
                         "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                         "Message-ID": "<1@example.com>", "In-Reply-To": "<0@example.com>",
                         "References": "<0@example.com>", "x-lower": ""})"));
    using Header = std::pair<std::string, std::string>;
    EXPECT_EQ(r.headers, (std::vector<Header>{
                             {"X-Campaign", "spring"},
                             {"Reply-To", "help@example.com"},
                             {"List-Unsubscribe", "<https://example.com/u>"},
                             {"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"},
                             {"Message-ID", "<1@example.com>"},
                             {"In-Reply-To", "<0@example.com>"},
                             {"References", "<0@example.com>"},
                             {"x-lower", ""},
                         }));
}

TEST(MessageRequest, HeadersHeraldWritesAreReservedInAnyCase) {
    for (const char* name :
         {"From", "to", "CC", "Bcc", "SUBJECT", "Sender", "MIME-Version", "Content-Type",
          "content-transfer-encoding", "Content-Disposition", "DKIM-Signature", "Received",
          "Return-Path", "Date", "Authentication-Results", "ARC-Seal", "X-Herald-Queue-ID"}) {
        expect_refused(with_text(R"(, "headers": {")" + std::string(name) + R"(": "x"})"), 422,
                       "reserved_header", name);
    }
}

TEST(MessageRequest, HeaderNamesAreFieldNames) {
    for (const char* name : {"", "X Bad", "X:Bad", "X-\\u00dc", "X-\\t", "X-\\u007f"}) {
        expect_refused(with_text(R"(, "headers": {")" + std::string(name) + R"(": "x"})"), 400,
                       "invalid_header_name");
    }
}

TEST(MessageRequest, AHeaderGivenTwiceInAnotherCaseIsRefused) {
    expect_refused(
        with_text(R"(, "headers": {"Reply-To": "a@example.com", "reply-to": "b@example.com"})"),
        400, "duplicate_header", "reply-to");
}

TEST(MessageRequest, HeaderValuesAreStrings) {
    expect_refused(with_text(R"(, "headers": {"X-A": 1})"), 400, "invalid_field", "X-A");
}

TEST(MessageRequest, TooManyHeadersAreUnsendable) {
    RequestLimits limits;
    limits.max_headers = 1;
    EXPECT_EQ(accepted(with_text(R"(, "headers": {"X-A": "1"})"), limits).headers.size(), 1u);
    expect_refused(with_text(R"(, "headers": {"X-A": "1", "X-B": "2"})"), 422, "too_many_headers",
                   "1", limits);
}

TEST(MessageRequest, SubstitutionsMakeABatchByCanonicalRecipient) {
    const MessageRequest r = accepted(
        R"({"from": "app@example.com", "to": ["Ann <ann@Example.NET>", "bob@example.net"],
            "subject": "Hi {{name}}", "text": "Dear {{name}},\n{{address}}",
            "substitutions": {"ann@EXAMPLE.net": {"name": "Ann", "address": "1 Road\nTown"},
                              "\"bob\"@example.net": {"name": "Bob", "address": ""}}})");
    EXPECT_TRUE(r.is_batch());
    ASSERT_EQ(r.substitutions.size(), 2u);
    EXPECT_EQ(r.substitutions.at("ann@example.net").at("name"), "Ann");
    EXPECT_EQ(r.substitutions.at("ann@example.net").at("address"), "1 Road\nTown");
    EXPECT_EQ(r.substitutions.at("bob@example.net").at("name"), "Bob");
}

TEST(MessageRequest, ASubstitutionForSomeoneNotInToIsRefused) {
    expect_refused(request(R"(, "subject": "x", "text": "y",
                           "substitutions": {"ann@example.net": {}, "eve@example.net": {}})"),
                   422, "unknown_recipient", "eve@example.net");
    expect_refused(request(R"(, "subject": "x", "text": "y",
                           "substitutions": {"ann@example.net": {}, "not an address": {}})"),
                   400, "invalid_address");
}

TEST(MessageRequest, EveryToRecipientNeedsSubstitutions) {
    expect_refused(R"({"from": "app@example.com", "to": ["ann@example.net", "bob@example.net"],
                       "subject": "x", "text": "y", "substitutions": {"ann@example.net": {}}})",
                   422, "missing_substitutions", "bob@example.net");
    expect_refused(request(R"(, "subject": "x", "text": "y", "substitutions": {})"), 422,
                   "missing_substitutions");
}

TEST(MessageRequest, ABatchHasNoCcOrBcc) {
    expect_refused(request(R"(, "cc": ["c@example.net"], "subject": "x", "text": "y",
                           "substitutions": {"ann@example.net": {}})"),
                   422, "batch_with_cc");
    expect_refused(request(R"(, "bcc": ["c@example.net"], "subject": "x", "text": "y",
                           "substitutions": {"ann@example.net": {}})"),
                   422, "batch_with_cc");
}

TEST(MessageRequest, ABatchIsNotRaw) {
    expect_refused(request(R"(, "raw": "From: a\n\nx", "substitutions": {"ann@example.net": {}})"),
                   422, "batch_with_raw");
}

TEST(MessageRequest, ASubstitutionValueWithALineBreakCannotGoIntoTheSubject) {
    expect_refused(request(R"(, "subject": "Hi {{name}}", "text": "y",
                           "substitutions": {"ann@example.net": {"name": "Ann\r\nBcc: v@example.org"}})"),
                   400, "header_injection", "name");
    expect_refused(request(R"(, "subject": "Hi {{ name }}", "text": "y",
                           "substitutions": {"ann@example.net": {"name": "Ann\nX"}})"),
                   400, "header_injection");
    EXPECT_TRUE(accepted(request(R"(, "subject": "Hi name", "text": "{{name}}",
                                 "substitutions": {"ann@example.net": {"name": "Ann\nX"}})"))
                    .is_batch());
}

TEST(MessageRequest, SubstitutionValuesAreTextStrings) {
    expect_refused(request(R"(, "subject": "x", "text": "y",
                           "substitutions": {"ann@example.net": {"n": 1}})"),
                   400, "invalid_field", "\"n\"");
    expect_refused(request(R"(, "subject": "x", "text": "y",
                           "substitutions": {"ann@example.net": ["Ann"]})"),
                   400, "invalid_field", "ann@example.net");
    expect_refused(request(R"(, "subject": "x", "text": "y",
                           "substitutions": {"ann@example.net": {"n": "a\u0000b"}})"),
                   400, "invalid_field", "control");
    expect_refused(request(R"(, "subject": "x", "text": "y",
                           "substitutions": {"ann@example.net": {"n": ")"
                           "\xff"
                           R"("}})"),
                   400, "invalid_utf8");
    expect_refused(
        request(R"(, "subject": "x", "text": "y", "substitutions": ["ann@example.net"])"), 400,
        "invalid_field", "substitutions");
}

TEST(MessageRequest, TheSameRecipientTwiceInSubstitutionsIsRefused) {
    expect_refused(request(R"(, "subject": "x", "text": "y",
                           "substitutions": {"ann@example.net": {}, "ann@EXAMPLE.NET": {}})"),
                   400, "invalid_field", "twice");
}

}  // namespace
}  // namespace herald::api
