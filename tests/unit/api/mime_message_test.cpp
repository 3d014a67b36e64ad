#include "api/mime_message.hpp"

#include <gmime/gmime.h>
#include <gtest/gtest.h>

#include <memory>
#include <thread>

namespace herald::api {
namespace {

struct GObjectUnref {
    void operator()(void* object) const { g_object_unref(object); }
};
template <typename T>
using GPtr = std::unique_ptr<T, GObjectUnref>;

const std::string kGerman =
    "Gr\xc3\xbc\xc3\x9f"
    "e aus K\xc3\xb6ln";
const std::string kRussian = "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82";  // Привет
const std::string kEmoji = "\xf0\x9f\x93\xa8";                                    // U+1F4E8

MessageRequest request_with(std::string text, std::string html = "") {
    MessageRequest request;
    request.from = {"app@example.com", "The App"};
    request.to = {{"ann@example.net", "Ann"}};
    request.subject = "Hello";
    request.text = std::move(text);
    request.html = std::move(html);
    return request;
}

Result<std::string> build(const MessageRequest& request) {
    return build_mime_message({request, request.to, request.subject, request.text, request.html});
}

std::string built(const MessageRequest& request) {
    auto message = build(request);
    EXPECT_TRUE(message.ok()) << message.error();
    return message.ok() ? *message : "";
}

// GMime's own parser reads back what the builder wrote (which has initialised GMime).
GPtr<GMimeMessage> parse(const std::string& raw) {
    GPtr<GMimeStream> stream{g_mime_stream_mem_new_with_buffer(raw.data(), raw.size())};
    GPtr<GMimeParser> parser{g_mime_parser_new_with_stream(stream.get())};
    GPtr<GMimeMessage> message{g_mime_parser_construct_message(parser.get(), nullptr)};
    EXPECT_NE(message, nullptr) << raw;
    return message;
}

bool is_type(GMimeObject* object, const char* type, const char* subtype) {
    return g_mime_content_type_is_type(g_mime_object_get_content_type(object), type, subtype);
}

std::vector<GMimeObject*> children(GMimeObject* object) {
    std::vector<GMimeObject*> parts;
    if (!GMIME_IS_MULTIPART(object)) return parts;
    for (int i = 0; i < g_mime_multipart_get_count(GMIME_MULTIPART(object)); ++i) {
        parts.push_back(g_mime_multipart_get_part(GMIME_MULTIPART(object), i));
    }
    return parts;
}

// The content of a leaf part, transfer encoding undone.
std::string decoded(GMimeObject* part) {
    GPtr<GMimeStream> out{g_mime_stream_mem_new()};
    g_mime_data_wrapper_write_to_stream(g_mime_part_get_content(GMIME_PART(part)), out.get());
    const GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out.get()));
    return std::string(reinterpret_cast<const char*>(bytes->data), bytes->len);
}

// The text of the only part of a message: as given, or with the CRLF that ends the message's
// last line (7bit and quoted-printable; base64 has none).
::testing::AssertionResult decodes_to_text(GMimeObject* part, const std::string& text) {
    const std::string content = decoded(part);
    if (content == text || content == text + "\r\n") return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "decoded to \"" << content << '"';
}

std::string header(GMimeObject* object, const char* name) {
    const char* value = g_mime_object_get_header(object, name);
    return value ? value : "<none>";
}

// Mailboxes as (address, name) pairs, which gtest can compare and print.
using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs pairs(const std::vector<Mailbox>& list) {
    Pairs out;
    for (const Mailbox& m : list) out.emplace_back(m.address, m.name);
    return out;
}

Pairs mailboxes(InternetAddressList* list) {
    Pairs out;
    for (int i = 0; i < internet_address_list_length(list); ++i) {
        InternetAddress* address = internet_address_list_get_address(list, i);
        const char* name = internet_address_get_name(address);
        // GMime's parser shows an IDN domain as U-labels; the A-labels are what was written.
        out.emplace_back(internet_address_mailbox_get_idn_addr(INTERNET_ADDRESS_MAILBOX(address)),
                         name ? name : "");
    }
    return out;
}

// What the header comment promises of every output: 7-bit, CRLF only, lines of at most 998
// octets, a final CRLF.
::testing::AssertionResult fit_for_any_relay(std::string_view raw) {
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        const auto c = static_cast<unsigned char>(raw[i]);
        if (c > 127) return ::testing::AssertionFailure() << "8-bit octet at " << i;
        if (c == '\n' && (i == 0 || raw[i - 1] != '\r')) {
            return ::testing::AssertionFailure() << "bare LF at " << i;
        }
        if (c == '\r' && (i + 1 == raw.size() || raw[i + 1] != '\n')) {
            return ::testing::AssertionFailure() << "bare CR at " << i;
        }
        if (c == '\n') {
            if (i - 1 - line_start > 998) {
                return ::testing::AssertionFailure() << "line of " << i - 1 - line_start;
            }
            line_start = i + 1;
        }
    }
    if (!raw.ends_with("\r\n")) return ::testing::AssertionFailure() << "no final CRLF";
    return ::testing::AssertionSuccess();
}

std::string all_octets(int times) {
    std::string bytes;
    for (int t = 0; t < times; ++t) {
        for (int b = 0; b < 256; ++b) bytes += static_cast<char>(b);
    }
    return bytes;
}

TEST(MimeMessage, TextAloneIsATextPlainPartInUtf8) {
    const std::string raw = built(request_with("Hello, world"));
    EXPECT_TRUE(fit_for_any_relay(raw));
    auto message = parse(raw);
    GMimeObject* body = g_mime_message_get_mime_part(message.get());
    ASSERT_TRUE(is_type(body, "text", "plain"));
    EXPECT_STREQ(g_mime_object_get_content_type_parameter(body, "charset"), "utf-8");
    EXPECT_EQ(g_mime_part_get_content_encoding(GMIME_PART(body)), GMIME_CONTENT_ENCODING_7BIT);
    EXPECT_EQ(header(GMIME_OBJECT(message.get()), "MIME-Version"), "1.0");
    EXPECT_TRUE(decodes_to_text(body, "Hello, world"));
}

TEST(MimeMessage, HtmlAloneIsATextHtmlPart) {
    auto message = parse(built(request_with("", "<p>" + kGerman + "</p>")));
    GMimeObject* body = g_mime_message_get_mime_part(message.get());
    ASSERT_TRUE(is_type(body, "text", "html"));
    EXPECT_STREQ(g_mime_object_get_content_type_parameter(body, "charset"), "utf-8");
    EXPECT_TRUE(decodes_to_text(body, "<p>" + kGerman + "</p>"));
}

TEST(MimeMessage, NeitherTextNorHtmlIsAnEmptyTextPlainPart) {
    auto message = parse(built(request_with("")));
    GMimeObject* body = g_mime_message_get_mime_part(message.get());
    ASSERT_TRUE(is_type(body, "text", "plain"));
}

TEST(MimeMessage, TextAndHtmlAreAlternativesWithTheTextFirst) {
    const std::string raw = built(request_with("plain " + kGerman, "<b>html</b> " + kRussian));
    EXPECT_TRUE(fit_for_any_relay(raw));
    auto message = parse(raw);
    GMimeObject* body = g_mime_message_get_mime_part(message.get());
    ASSERT_TRUE(is_type(body, "multipart", "alternative"));
    const auto parts = children(body);
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_TRUE(is_type(parts[0], "text", "plain"));
    EXPECT_TRUE(is_type(parts[1], "text", "html"));
    for (GMimeObject* part : parts) {
        EXPECT_STREQ(g_mime_object_get_content_type_parameter(part, "charset"), "utf-8");
    }
}

TEST(MimeMessage, TextAndHtmlDecodeToTheExactUtf8Given) {
    const std::string text = kGerman + " " + kRussian + " " + kEmoji + " tab\there, trailing ";
    const std::string html = "<p>" + kRussian + kRussian + kRussian + "</p>";
    const std::string raw = built(request_with(text, html));
    EXPECT_TRUE(fit_for_any_relay(raw));
    auto message = parse(raw);
    const auto parts = children(g_mime_message_get_mime_part(message.get()));
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(decoded(parts[0]), text);
    EXPECT_EQ(decoded(parts[1]), html);
    // 8-bit text is encoded, never sent as 8bit.
    for (GMimeObject* part : parts) {
        const auto encoding = g_mime_part_get_content_encoding(GMIME_PART(part));
        EXPECT_TRUE(encoding == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
                    encoding == GMIME_CONTENT_ENCODING_BASE64)
            << encoding;
    }
}

TEST(MimeMessage, LineBreaksInTextBecomeCrlf) {
    for (const std::string& text :
         std::vector<std::string>{"one\ntwo\rthree\r\nfour\n\n", kGerman + "\n" + kGerman + "\r"}) {
        std::string crlf;
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
            crlf +=
                text[i] == '\r' || text[i] == '\n' ? std::string("\r\n") : std::string(1, text[i]);
        }
        const std::string raw = built(request_with(text, "<p>x</p>"));
        EXPECT_TRUE(fit_for_any_relay(raw));
        auto message = parse(raw);
        const auto parts = children(g_mime_message_get_mime_part(message.get()));
        ASSERT_EQ(parts.size(), 2u);
        EXPECT_EQ(decoded(parts[0]), crlf);
    }
}

TEST(MimeMessage, LinesLongerThan998OctetsAreEncodedAndDecodeBack) {
    const std::string ascii(5000, 'a');
    std::string wide;
    for (int i = 0; i < 800; ++i) wide += kRussian;
    const std::string raw = built(request_with(ascii, wide));
    EXPECT_TRUE(fit_for_any_relay(raw));
    auto message = parse(raw);
    const auto parts = children(g_mime_message_get_mime_part(message.get()));
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(g_mime_part_get_content_encoding(GMIME_PART(parts[0])),
              GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
    EXPECT_TRUE(decoded(parts[0]) == ascii);
    EXPECT_TRUE(decoded(parts[1]) == wide);
}

TEST(MimeMessage, AttachmentsMakeAMixedMessageWithTheBodyFirst) {
    MessageRequest request = request_with("text", "<p>html</p>");
    request.attachments = {{"report.pdf", "application/pdf", "%PDF-1.4"},
                           {"data.csv", "text/csv", "a,b\n1,2\n"}};
    const std::string raw = built(request);
    EXPECT_TRUE(fit_for_any_relay(raw));
    auto message = parse(raw);
    GMimeObject* body = g_mime_message_get_mime_part(message.get());
    ASSERT_TRUE(is_type(body, "multipart", "mixed"));
    const auto parts = children(body);
    ASSERT_EQ(parts.size(), 3u);
    EXPECT_TRUE(is_type(parts[0], "multipart", "alternative"));
    EXPECT_TRUE(is_type(parts[1], "application", "pdf"));
    EXPECT_TRUE(is_type(parts[2], "text", "csv"));
    for (std::size_t i = 1; i < 3; ++i) {
        EXPECT_STREQ(g_mime_object_get_disposition(parts[i]), "attachment");
        EXPECT_EQ(g_mime_part_get_content_encoding(GMIME_PART(parts[i])),
                  GMIME_CONTENT_ENCODING_BASE64);
        EXPECT_EQ(g_mime_part_get_filename(GMIME_PART(parts[i])),
                  request.attachments[i - 1].filename);
        EXPECT_EQ(decoded(parts[i]), request.attachments[i - 1].content);
    }
}

TEST(MimeMessage, TextAloneWithAnAttachmentIsMixedOfTextAndAttachment) {
    MessageRequest request = request_with("text");
    request.attachments = {{"a.bin", "application/octet-stream", "x"}};
    auto message = parse(built(request));
    GMimeObject* body = g_mime_message_get_mime_part(message.get());
    ASSERT_TRUE(is_type(body, "multipart", "mixed"));
    const auto parts = children(body);
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_TRUE(is_type(parts[0], "text", "plain"));
    EXPECT_EQ(decoded(parts[0]), "text");
}

TEST(MimeMessage, AnAttachmentDecodesToTheExactBytes) {
    MessageRequest request = request_with("see attached");
    request.attachments = {{"all.bin", "application/octet-stream", all_octets(3)},
                           {"lines.txt", "text/plain", "a\nb\r\nc\rd\r\n\r\n"}};
    const std::string raw = built(request);
    EXPECT_TRUE(fit_for_any_relay(raw));
    auto message = parse(raw);
    const auto parts = children(g_mime_message_get_mime_part(message.get()));
    ASSERT_EQ(parts.size(), 3u);
    EXPECT_TRUE(decoded(parts[1]) == request.attachments[0].content);
    // An attachment is bytes, not text: its line breaks are kept as they are.
    EXPECT_EQ(decoded(parts[2]), request.attachments[1].content);
}

TEST(MimeMessage, ANonAsciiFilenameIsAnRfc2231Parameter) {
    MessageRequest request = request_with("x");
    const std::string filename = "R\xc3\xa9sum\xc3\xa9 \"final\"; " + kRussian + ".pdf";
    request.attachments = {{filename, "application/pdf", "%PDF"}};
    const std::string raw = built(request);
    EXPECT_TRUE(fit_for_any_relay(raw));
    EXPECT_NE(raw.find("filename*0*=UTF-8''"), std::string::npos) << raw;
    auto message = parse(raw);
    const auto parts = children(g_mime_message_get_mime_part(message.get()));
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(g_mime_part_get_filename(GMIME_PART(parts[1])), filename);
}

TEST(MimeMessage, FromToAndCcDecodeToWhatWasGiven) {
    MessageRequest request = request_with("x");
    request.from = {"app@example.com", "J\xc3\xbcrgen \"the App\" M\xc3\xbcller, Jr."};
    request.to = {{"ann@example.net", kRussian + " " + kEmoji},
                  {"bob@example.net", ""},
                  {"\"odd local\"@example.org", "Plain Name"}};
    request.cc = {{"carol@xn--bcher-kva.example", "Carol (CC)"}};
    const std::string raw = built(request);
    EXPECT_TRUE(fit_for_any_relay(raw));
    auto message = parse(raw);
    EXPECT_EQ(mailboxes(g_mime_message_get_from(message.get())), pairs({request.from}));
    EXPECT_EQ(mailboxes(g_mime_message_get_to(message.get())), pairs(request.to));
    EXPECT_EQ(mailboxes(g_mime_message_get_cc(message.get())), pairs(request.cc));
    EXPECT_NE(raw.find("<carol@xn--bcher-kva.example>"), std::string::npos) << raw;
}

TEST(MimeMessage, ABatchMessageShowsOnlyItsRecipient) {
    MessageRequest request = request_with("x");
    request.to = {{"ann@example.net", "Ann"}, {"bob@example.net", "Bob"}};
    auto raw = build_mime_message(
        {request, std::span(request.to).subspan(1, 1), "Hi Bob", "Dear Bob", ""});
    ASSERT_TRUE(raw.ok()) << raw.error();
    auto message = parse(*raw);
    EXPECT_EQ(mailboxes(g_mime_message_get_to(message.get())), pairs({request.to[1]}));
    EXPECT_STREQ(g_mime_message_get_subject(message.get()), "Hi Bob");
    EXPECT_EQ(raw->find("ann@example.net"), std::string::npos);
}

TEST(MimeMessage, BccIsNeverWritten) {
    MessageRequest request = request_with("x");
    request.bcc = {{"hidden@example.org", "Hidden"}};
    const std::string raw = built(request);
    auto message = parse(raw);
    EXPECT_EQ(header(GMIME_OBJECT(message.get()), "Bcc"), "<none>");
    EXPECT_EQ(internet_address_list_length(g_mime_message_get_bcc(message.get())), 0);
    EXPECT_EQ(raw.find("hidden"), std::string::npos) << raw;
}

TEST(MimeMessage, ANonAsciiSubjectIsEncodedAndDecodesBack) {
    MessageRequest request = request_with("x");
    request.subject = kGerman + " " + kRussian + " " + kEmoji + " " + std::string(200, 'z');
    const std::string raw = built(request);
    EXPECT_TRUE(fit_for_any_relay(raw));
    EXPECT_NE(raw.find("=?"), std::string::npos);
    EXPECT_EQ(g_mime_message_get_subject(parse(raw).get()), request.subject);
}

TEST(MimeMessage, AnEmptySubjectWritesNoSubjectField) {
    MessageRequest request = request_with("x");
    request.subject = "";
    EXPECT_EQ(header(GMIME_OBJECT(parse(built(request)).get()), "Subject"), "<none>");
}

TEST(MimeMessage, ExtraHeadersAreAddedInOrderAndEncodedWhenNonAscii) {
    MessageRequest request = request_with("x");
    request.headers = {{"X-Campaign", "spring"},
                       {"X-Note", "caf\xc3\xa9 " + kRussian},
                       {"X-Campaign", "second"},
                       {"X-Long", std::string(3000, 'q')}};
    const std::string raw = built(request);
    EXPECT_TRUE(fit_for_any_relay(raw));
    auto message = parse(raw);
    GMimeHeaderList* headers = g_mime_object_get_header_list(GMIME_OBJECT(message.get()));
    std::vector<std::pair<std::string, std::string>> extra;
    for (int i = 0; i < g_mime_header_list_get_count(headers); ++i) {
        GMimeHeader* field = g_mime_header_list_get_header_at(headers, i);
        const std::string name = g_mime_header_get_name(field);
        if (name.starts_with("X-")) extra.emplace_back(name, g_mime_header_get_value(field));
    }
    EXPECT_EQ(extra, request.headers);
}

TEST(MimeMessage, ManyRecipientsAreFoldedIntoShortLines) {
    MessageRequest request = request_with("x");
    request.to.clear();
    for (int i = 0; i < 200; ++i) {
        request.to.push_back({"user" + std::to_string(i) + "@example.net", kGerman});
    }
    const std::string raw = built(request);
    EXPECT_TRUE(fit_for_any_relay(raw));
    EXPECT_EQ(mailboxes(g_mime_message_get_to(parse(raw).get())), pairs(request.to));
}

// The parser refuses CR and LF in these values; the builder must not be the weak point if one
// gets past it (a substitution value, a later caller).
TEST(MimeMessage, AValueCannotInjectAHeaderField) {
    for (const std::string& injection :
         std::vector<std::string>{"x\r\nBcc: evil@example.org", "x\nBcc: evil@example.org",
                                  "x\rBcc: evil@example.org", std::string("x\0Bcc", 5)}) {
        std::vector<MessageRequest> requests(5, request_with("x"));
        requests[0].subject = injection;
        requests[1].headers = {{"X-Tag", injection}};
        requests[2].from.name = injection;
        requests[3].to[0].name = injection;
        requests[4].attachments = {{injection, "application/pdf", "%PDF"}};
        for (const MessageRequest& request : requests) {
            auto raw = build(request);
            if (!raw.ok()) continue;
            ADD_FAILURE() << "built:\n" << *raw;
            EXPECT_EQ(header(GMIME_OBJECT(parse(*raw).get()), "Bcc"), "<none>");
        }
    }
}

TEST(MimeMessage, ANonAsciiAddressIsRefused) {
    MessageRequest request = request_with("x");
    request.to = {{"j\xc3\xbcrgen@example.net", ""}};
    auto raw = build(request);
    ASSERT_FALSE(raw.ok());
    EXPECT_NE(raw.error().find("SMTPUTF8"), std::string::npos) << raw.error();
}

TEST(MimeMessage, AFieldTheBuilderWritesCannotBeAddedAsAHeader) {
    for (const char* name : {"Bcc", "from", "Subject", "MIME-Version", "Content-Type",
                             "content-transfer-encoding", "Bad Name", "Colon:", ""}) {
        MessageRequest request = request_with("x");
        request.headers = {{name, "value"}};
        EXPECT_FALSE(build(request).ok()) << name;
    }
}

TEST(MimeMessage, TraceFieldsCannotBeAddedAsHeaders) {
    for (const char* name : {"Received", "Return-Path", "Resent-To", "resent-from"}) {
        MessageRequest request = request_with("x");
        request.headers = {{name, "from a.example by b.example; Mon, 1 Jan 2024 00:00:00 +0000"}};
        EXPECT_FALSE(build(request).ok()) << name;
    }
}

TEST(MimeMessage, AReplyToHeaderIsWrittenAsAnAddress) {
    MessageRequest request = request_with("x");
    request.headers = {{"Reply-To", "R\xc3\xa9plique <reply@example.com>"}, {"X-After", "kept"}};
    const std::string raw = built(request);
    EXPECT_TRUE(fit_for_any_relay(raw));
    auto message = parse(raw);
    EXPECT_EQ(mailboxes(g_mime_message_get_reply_to(message.get())),
              (Pairs{{"reply@example.com", "R\xc3\xa9plique"}}));
    EXPECT_EQ(header(GMIME_OBJECT(message.get()), "X-After"), "kept");
}

// GMime would write the field empty and without its CRLF, so that the next one ran on in it.
TEST(MimeMessage, AnAddressHeaderThatIsNoAddressIsRefused) {
    for (const char* value : {"not an address", "R\xc3\xa9 <", "", "   "}) {
        MessageRequest request = request_with("x");
        request.headers = {{"Reply-To", value}, {"X-After", "kept"}};
        EXPECT_FALSE(build(request).ok()) << value;
    }
}

// GMime writes a Message-ID as given: it must already be what a relay accepts.
TEST(MimeMessage, AMessageIdIsKeptAsGivenButMustBeAscii) {
    MessageRequest request = request_with("x");
    request.headers = {{"Message-ID", "<1@example.com>"}};
    EXPECT_EQ(header(GMIME_OBJECT(parse(built(request)).get()), "Message-ID"), "<1@example.com>");
    request.headers = {{"Message-ID", "<caf\xc3\xa9@example.com>"}};
    EXPECT_FALSE(build(request).ok());
}

TEST(MimeMessage, AnAttachmentMustHaveAPlainTypeAndSubtype) {
    for (const char* type : {"multipart/mixed", "message/rfc822", "application", "/pdf",
                             "application/", "application/pdf; name=x", "text/plain\r\nBcc: x"}) {
        MessageRequest request = request_with("x");
        request.attachments = {{"a", type, "x"}};
        EXPECT_FALSE(build(request).ok()) << type;
    }
}

TEST(MimeMessage, ARawRequestIsNotBuilt) {
    MessageRequest request = request_with("x");
    request.raw = "Subject: x\r\n\r\nx\r\n";
    EXPECT_FALSE(build(request).ok());
}

TEST(MimeMessage, TextThatIsNotUtf8IsRefused) {
    EXPECT_FALSE(build(request_with("caf\xe9")).ok());
    EXPECT_FALSE(build(request_with("x", "<p>\xff</p>")).ok());
}

TEST(MimeMessage, BuildsFromSeveralThreadsAtOnce) {
    MessageRequest request = request_with(kGerman, "<p>" + kRussian + "</p>");
    request.attachments = {{kGerman + ".bin", "application/octet-stream", all_octets(1)}};
    std::vector<std::string> first(4);
    std::vector<int> failures(4);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 50; ++i) {
                auto raw = build(request);
                if (!raw.ok()) ++failures[t];
                if (raw.ok() && i == 0) first[t] = *raw;
            }
        });
    }
    for (auto& thread : threads) thread.join();
    for (int t = 0; t < 4; ++t) {
        EXPECT_EQ(failures[t], 0);
        EXPECT_TRUE(fit_for_any_relay(first[t]));
        auto message = parse(first[t]);
        const auto parts = children(g_mime_message_get_mime_part(message.get()));
        ASSERT_EQ(parts.size(), 2u);
        EXPECT_TRUE(decoded(parts[1]) == request.attachments[0].content);
    }
}

}  // namespace
}  // namespace herald::api
