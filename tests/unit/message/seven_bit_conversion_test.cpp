#include "message/seven_bit_conversion.hpp"

#include <gtest/gtest.h>

#include <random>

#include "base/ascii_case.hpp"
#include "base/utf8.hpp"

namespace herald::message {
namespace {

const std::string kUtf8Text =
    "Gr\xc3\xbc\xc3\x9f"
    "e aus K\xc3\xb6ln, \xc3\xa7"
    "a va?";

// Decoders written from RFC 2045 6.7 and 6.8, to check what the encoders made.
std::string decode_quoted_printable(std::string_view in) {
    std::string out;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '=') {
            out += in[i];
            continue;
        }
        if (in.substr(i + 1).starts_with("\r\n")) {
            i += 2;  // a soft line break
            continue;
        }
        out += static_cast<char>(hex_digit_value(in[i + 1]) * 16 + hex_digit_value(in[i + 2]));
        i += 2;
    }
    return out;
}

std::string decode_base64(std::string_view in) {
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    unsigned bits = 0;
    int count = 0;
    for (char c : in) {
        const std::size_t v = alphabet.find(c);
        if (v == std::string::npos) continue;
        bits = bits << 6 | static_cast<unsigned>(v);
        count += 6;
        if (count >= 8) {
            count -= 8;
            out += static_cast<char>(bits >> count & 0xff);
        }
    }
    return out;
}

std::vector<std::string_view> lines_of(std::string_view text) {
    std::vector<std::string_view> lines;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find("\r\n", pos);
        if (end == std::string_view::npos) end = text.size();
        lines.push_back(text.substr(pos, end - pos));
        pos = end + 2;
    }
    return lines;
}

bool every_line_fits(std::string_view text) {
    for (auto line : lines_of(text)) {
        if (line.size() > kMaxEncodedLine) return false;
    }
    return true;
}

// No bare CR or LF: every line ends in CRLF.
bool canonical_crlf(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) return false;
        if (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')) return false;
    }
    return true;
}

std::string converted(std::string_view message) {
    auto result = convert_to_seven_bit(message);
    EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error());
    return result.ok() ? *result : "";
}

std::string_view body_of(std::string_view message) {
    return message.substr(message.find("\r\n\r\n") + 4);
}

// ---- the encodings ----

TEST(QuotedPrintable, KeepsEveryLineWithinSeventySixCharacters) {
    std::string text;
    for (int i = 0; i < 300; ++i) text += (i % 7 == 0) ? "\xc3\xa9" : "a";
    text += "\r\nshort line\r\n" + std::string(200, '=') + "\r\n";
    const std::string qp = encode_quoted_printable(text);
    EXPECT_TRUE(every_line_fits(qp));
    EXPECT_TRUE(canonical_crlf(qp));
    EXPECT_FALSE(has_non_ascii(qp));
    EXPECT_EQ(decode_quoted_printable(qp), text);
}

TEST(QuotedPrintable, EncodesWhiteSpaceAtTheEndOfALine) {
    EXPECT_EQ(encode_quoted_printable("a \r\nb\t\r\nc "), "a=20\r\nb=09\r\nc=20");
    EXPECT_EQ(encode_quoted_printable("a b\r\n"), "a b\r\n");
}

TEST(QuotedPrintable, NeverBeginsALineWithADash) {
    const std::string text = "--boundary\r\n" + std::string(74, 'x') + "--boundary\r\n";
    const std::string qp = encode_quoted_printable(text);
    for (auto line : lines_of(qp)) EXPECT_FALSE(line.starts_with("-")) << line;
    EXPECT_EQ(decode_quoted_printable(qp), text);
}

TEST(QuotedPrintable, EncodesBareLineBreakCharacters) {
    const std::string qp = encode_quoted_printable("a\rb\nc\r\n");
    EXPECT_EQ(qp, "a=0Db=0Ac\r\n");
}

TEST(QuotedPrintable, RoundTripsRandomOctets) {
    std::mt19937 random(6152);
    for (int round = 0; round < 200; ++round) {
        std::string text(random() % 400, '\0');
        for (char& c : text) c = static_cast<char>(random() % 256);
        const std::string qp = encode_quoted_printable(text);
        ASSERT_TRUE(every_line_fits(qp));
        ASSERT_TRUE(canonical_crlf(qp));
        ASSERT_FALSE(has_non_ascii(qp));
        ASSERT_EQ(decode_quoted_printable(qp), text);
    }
}

TEST(Base64Lines, WrapsAtSeventySixCharactersAndRoundTrips) {
    std::string data;
    for (int i = 0; i < 1000; ++i) data += static_cast<char>(i * 37);
    const std::string b64 = encode_base64_lines(data);
    EXPECT_TRUE(every_line_fits(b64));
    EXPECT_EQ(lines_of(b64).front().size(), kMaxEncodedLine);
    EXPECT_EQ(decode_base64(b64), data);
    EXPECT_EQ(encode_base64_lines("a"), "YQ==");
    EXPECT_EQ(encode_base64_lines("ab"), "YWI=");
    EXPECT_EQ(encode_base64_lines("abc"), "YWJj");
}

// ---- what stays as it is ----

TEST(SevenBitConversion, LeavesASevenBitMessageByteForByte) {
    const std::string message =
        "From: a@x.example\r\nSubject: hi\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "plain ASCII\r\n..dots\r\n";
    EXPECT_EQ(converted(message), message);
}

TEST(SevenBitConversion, LeavesSevenBitPartsAndBoundariesByteForByte) {
    const std::string seven_bit_part =
        "Content-Type: text/plain; charset=us-ascii\r\n\r\nfirst part, ASCII\r\n";
    const std::string message =
        "From: a@x.example\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=\"=_b 1\"\r\n\r\n"
        "This is a preamble.\r\n"
        "--=_b 1\r\n" +
        seven_bit_part +
        "--=_b 1  \r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
        kUtf8Text +
        "\r\n"
        "--=_b 1--\r\n"
        "epilogue\r\n";
    const std::string out = converted(message);
    EXPECT_FALSE(has_non_ascii(out));
    EXPECT_TRUE(canonical_crlf(out));
    EXPECT_TRUE(
        out.starts_with("From: a@x.example\r\nMIME-Version: 1.0\r\n"
                        "Content-Type: multipart/mixed; boundary=\"=_b 1\"\r\n\r\n"
                        "This is a preamble.\r\n--=_b 1\r\n" +
                        seven_bit_part + "--=_b 1  \r\n"));
    EXPECT_TRUE(out.ends_with("\r\n--=_b 1--\r\nepilogue\r\n"));
    const std::size_t part = out.find("--=_b 1  \r\n") + 11;
    const std::size_t close = out.find("\r\n--=_b 1--");
    const std::string_view second(out.data() + part, close - part);
    EXPECT_TRUE(
        second.starts_with("Content-Type: text/plain; charset=utf-8\r\n"
                           "Content-Transfer-Encoding: quoted-printable\r\n\r\n"))
        << second;
    EXPECT_EQ(decode_quoted_printable(body_of(second)), kUtf8Text);
}

// ---- the conversions ----

TEST(SevenBitConversion, EncodesANonMimeBodyAndMakesItMime) {
    const std::string message = "From: a@x.example\r\nSubject: hi\r\n\r\n" + kUtf8Text + "\r\n";
    const std::string out = converted(message);
    EXPECT_EQ(out.substr(0, out.find("\r\n\r\n") + 2),
              "From: a@x.example\r\nSubject: hi\r\nMIME-Version: 1.0\r\n"
              "Content-Type: text/plain; charset=utf-8\r\n"
              "Content-Transfer-Encoding: quoted-printable\r\n");
    EXPECT_EQ(decode_quoted_printable(body_of(out)), kUtf8Text + "\r\n");
    EXPECT_TRUE(every_line_fits(body_of(out)));
}

TEST(SevenBitConversion, NamesAnUnknownCharsetWhenTheBodyIsNotUtf8) {
    const std::string out = converted("Subject: hi\r\n\r\ncaf\xe9\r\n");
    EXPECT_NE(out.find("Content-Type: text/plain; charset=unknown-8bit\r\n"), std::string::npos);
}

TEST(SevenBitConversion, ReplacesTheTransferEncodingInPlace) {
    const std::string message =
        "MIME-Version: 1.0\r\nContent-Transfer-Encoding: 8bit\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nSubject: x\r\n\r\n" +
        kUtf8Text + "\r\n";
    const std::string out = converted(message);
    EXPECT_TRUE(
        out.starts_with("MIME-Version: 1.0\r\nContent-Transfer-Encoding: "
                        "quoted-printable\r\nContent-Type: text/plain; charset=utf-8\r\n"
                        "Subject: x\r\n\r\n"))
        << out;
}

TEST(SevenBitConversion, UsesBase64ForMostlyEightBitTextAndForBinaryParts) {
    const std::string japanese = "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xa7\xe3\x81\x99";
    const std::string out = converted(
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + japanese + "\r\n");
    EXPECT_NE(out.find("Content-Transfer-Encoding: base64\r\n"), std::string::npos);
    EXPECT_EQ(decode_base64(body_of(out)), japanese + "\r\n");

    std::string binary;
    for (int i = 0; i < 300; ++i) binary += static_cast<char>(i);
    const std::string attachment = converted(
        "MIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\n"
        "Content-Transfer-Encoding: binary\r\n\r\n" +
        binary);
    EXPECT_NE(attachment.find("Content-Transfer-Encoding: base64\r\n"), std::string::npos);
    EXPECT_EQ(decode_base64(body_of(attachment)), binary);
    EXPECT_TRUE(every_line_fits(body_of(attachment)));
}

TEST(SevenBitConversion, ConvertsAnEnclosedMessageAndRelabelsItsPart) {
    const std::string message =
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "Subject: inner\r\n\r\n" +
        kUtf8Text +
        "\r\n"
        "--b--\r\n";
    const std::string out = converted(message);
    EXPECT_FALSE(has_non_ascii(out));
    EXPECT_NE(out.find("Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
                       "Subject: inner\r\nMIME-Version: 1.0\r\n"
                       "Content-Type: text/plain; charset=utf-8\r\n"
                       "Content-Transfer-Encoding: quoted-printable\r\n\r\n"),
              std::string::npos)
        << out;
}

TEST(SevenBitConversion, TreatsDigestPartsAsMessages) {
    const std::string out = converted(
        "MIME-Version: 1.0\r\nContent-Type: multipart/digest; boundary=d\r\n\r\n"
        "--d\r\n\r\nSubject: one\r\n\r\n" +
        kUtf8Text + "\r\n--d--\r\n");
    EXPECT_NE(out.find("Subject: one\r\nMIME-Version: 1.0\r\n"), std::string::npos) << out;
}

// ---- where 8-bit headers hide ----

TEST(EightBitHeaders, AreFoundInTheMessageItsPartsAndEnclosedMessages) {
    EXPECT_FALSE(has_eight_bit_header("Subject: hi\r\n\r\n" + kUtf8Text));
    EXPECT_TRUE(has_eight_bit_header("Subject: " + kUtf8Text + "\r\n\r\nx\r\n"));
    EXPECT_TRUE(
        has_eight_bit_header("Subject: x\r\nGr\xc3\xbc\xc3\x9f"
                             "e: x\r\n\r\nx\r\n"));
    const std::string part_header =
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: text/plain\r\n\r\n" +
        kUtf8Text + "\r\n--b\r\nContent-Disposition: attachment; filename=\"" + kUtf8Text +
        "\"\r\n\r\nx\r\n--b--\r\n";
    EXPECT_TRUE(has_eight_bit_header(part_header));
    const std::string enclosed =
        "MIME-Version: 1.0\r\nContent-Type: message/global\r\n\r\nSubject: " + kUtf8Text +
        "\r\n\r\nx\r\n";
    EXPECT_TRUE(has_eight_bit_header(enclosed));
    const std::string body_only =
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: text/plain\r\n\r\n" +
        kUtf8Text + "\r\n--b--\r\n";
    EXPECT_FALSE(has_eight_bit_header(body_only));
}

// ---- what cannot be converted ----

void expect_refused(std::string_view message, std::string_view why) {
    auto result = convert_to_seven_bit(message);
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().find(why), std::string::npos) << result.error();
}

TEST(SevenBitConversion, RefusesEightBitHeaders) {
    expect_refused("Subject: caf\xc3\xa9\r\n\r\nbody\r\n", "header section");
    // A line the header parser does not take (its name is not a field name) is still
    // before the blank line.
    expect_refused("Subject: x\r\nCaf\xc3\xa9: y\r\n\r\nbody\r\n", "header section");
    expect_refused(
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
        "Content-Disposition: attachment; filename=\"caf\xc3\xa9.txt\"\r\n\r\nx\r\n--b--\r\n",
        "header section");
}

TEST(SevenBitConversion, RefusesCompositeBodiesThatCannotBeEncoded) {
    expect_refused("MIME-Version: 1.0\r\nContent-Type: message/partial; id=x; number=1\r\n\r\n" +
                       kUtf8Text + "\r\n",
                   "message/partial");
    expect_refused("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
                       kUtf8Text + "\r\n--b\r\n\r\nx\r\n--b--\r\n",
                   "preamble");
    expect_refused(
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n--b\r\n\r\n" +
            kUtf8Text + "\r\n--b--\r\n",
        "multipart body declared base64");
}

TEST(SevenBitConversion, RefusesMalformedStructures) {
    expect_refused("MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\n" + kUtf8Text,
                   "boundary");
    expect_refused(
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        "--b\r\n\r\n" +
            kUtf8Text + "\r\n",
        "close delimiter");
    expect_refused(
        "MIME-Version: 1.0\r\nContent-Type: text/plain\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n" +
            kUtf8Text,
        "declared quoted-printable");
    std::string nested = kUtf8Text;
    for (int i = 0; i < 40; ++i) {
        nested = "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n--b" +
                 std::to_string(i) + "\r\n" + nested + "\r\n--b" + std::to_string(i) + "--\r\n";
    }
    expect_refused("MIME-Version: 1.0\r\n" + nested, "nested too deeply");
}

}  // namespace
}  // namespace herald::message
