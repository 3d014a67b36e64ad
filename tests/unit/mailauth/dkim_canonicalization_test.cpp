#include "mailauth/dkim/canonicalization.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "mailauth/dkim/base64.hpp"
#include "mailauth/dkim/body_hash.hpp"
#include "message/header_block.hpp"

namespace {

using herald::mailauth::dkim::BodyCanonicalizer;
using herald::mailauth::dkim::Canonicalization;
using herald::mailauth::dkim::canonicalize_body;
using herald::mailauth::dkim::canonicalize_header;
using herald::mailauth::dkim::encode_base64;
using herald::mailauth::dkim::hash_body;
using herald::mailauth::dkim::message_body;

// RFC 6376 3.4.5 writes its examples with <SP>, <HTAB> and <CRLF> for the octets and lays
// them out with whitespace that is not part of the text; the files keep that notation.
std::string rfc_notation(const std::string& file) {
    std::ifstream in(std::string(HERALD_SOURCE_DIR) + "/tests/conformance/dkim/rfc6376/" + file);
    EXPECT_TRUE(in) << file;
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string text = buffer.str();
    std::string compact;
    for (char c : text) {
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') compact += c;
    }
    std::string out;
    for (std::size_t i = 0; i < compact.size();) {
        if (compact.compare(i, 4, "<SP>") == 0) {
            out += ' ';
            i += 4;
        } else if (compact.compare(i, 6, "<HTAB>") == 0) {
            out += '\t';
            i += 6;
        } else if (compact.compare(i, 6, "<CRLF>") == 0) {
            out += "\r\n";
            i += 6;
        } else {
            out += compact[i++];
        }
    }
    return out;
}

std::string canonical_headers(Canonicalization c, const std::string& message) {
    std::string out;
    const auto block = herald::message::HeaderBlock::parse(message);
    for (const auto& f : block.fields()) {
        canonicalize_header(c, std::string_view(message).substr(f.begin, f.end - f.begin), out);
    }
    return out;
}

std::string streamed(Canonicalization c, std::string_view body, std::size_t piece) {
    std::string out;
    BodyCanonicalizer canonicalizer(c, [&out](std::string_view bytes) { out += bytes; });
    for (std::size_t i = 0; i < body.size(); i += piece)
        canonicalizer.update(body.substr(i, piece));
    canonicalizer.finish();
    return out;
}

TEST(DkimCanonicalization, ReadsTheRfcExampleAsPrinted) {
    EXPECT_EQ(rfc_notation("section-3.4.5-input.txt"),
              "A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n C \r\nD \t E\r\n\r\n\r\n");
}

TEST(DkimCanonicalization, RelaxedMatchesRfc6376Example1) {
    const std::string message = rfc_notation("section-3.4.5-input.txt");
    EXPECT_EQ(canonical_headers(Canonicalization::relaxed, message),
              rfc_notation("section-3.4.5-relaxed-header.txt"));
    EXPECT_EQ(canonicalize_body(Canonicalization::relaxed, message_body(message)),
              rfc_notation("section-3.4.5-relaxed-body.txt"));
}

TEST(DkimCanonicalization, SimpleMatchesRfc6376Example2) {
    const std::string message = rfc_notation("section-3.4.5-input.txt");
    EXPECT_EQ(canonical_headers(Canonicalization::simple, message),
              rfc_notation("section-3.4.5-simple-header.txt"));
    EXPECT_EQ(canonicalize_body(Canonicalization::simple, message_body(message)),
              rfc_notation("section-3.4.5-simple-body.txt"));
}

TEST(DkimCanonicalization, EmptyBodyHashesAreThoseOfRfc6376) {
    // RFC 6376 3.4.3 and 3.4.4: the SHA-256 of CRLF, and of nothing.
    auto b64 = [](const auto& d) {
        return encode_base64({reinterpret_cast<const char*>(d.digest.data()), d.digest.size()});
    };
    EXPECT_EQ(b64(hash_body("", Canonicalization::simple)),
              "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=");
    EXPECT_EQ(b64(hash_body("", Canonicalization::relaxed)),
              "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    EXPECT_EQ(b64(hash_body("\r\n\r\n", Canonicalization::relaxed)),
              "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

TEST(DkimCanonicalization, BodyWithoutFinalCrlfGetsOne) {
    EXPECT_EQ(canonicalize_body(Canonicalization::simple, "a\r\nb"), "a\r\nb\r\n");
    EXPECT_EQ(canonicalize_body(Canonicalization::relaxed, "a\r\nb  "), "a\r\nb\r\n");
}

TEST(DkimCanonicalization, KeepsInnerEmptyLinesAndDropsTrailingOnes) {
    EXPECT_EQ(canonicalize_body(Canonicalization::simple, "a\r\n\r\n\r\nb\r\n\r\n\r\n"),
              "a\r\n\r\n\r\nb\r\n");
    EXPECT_EQ(canonicalize_body(Canonicalization::relaxed, "a\r\n \t\r\nb\r\n \r\n\t\r\n"),
              "a\r\n\r\nb\r\n");
    EXPECT_EQ(canonicalize_body(Canonicalization::simple, "\r\n\r\n"), "\r\n");
    EXPECT_EQ(canonicalize_body(Canonicalization::relaxed, " \r\n"), "");
}

TEST(DkimCanonicalization, GivesTheSameBytesHoweverTheBodyIsCut) {
    const std::string body =
        "Hi \t there\r\n\r\n  indented\r\nbare\rcr and bare\nlf\r\n\r\n\r\nend  ";
    for (auto c : {Canonicalization::simple, Canonicalization::relaxed}) {
        const std::string whole = canonicalize_body(c, body);
        for (std::size_t piece = 1; piece <= body.size(); ++piece) {
            EXPECT_EQ(streamed(c, body, piece), whole) << "piece " << piece;
        }
    }
}

TEST(DkimCanonicalization, RelaxedHeaderLowercasesNameAndUnfolds) {
    std::string out;
    canonicalize_header(Canonicalization::relaxed, "SUBJECT \t:  Hello\r\n   World \t \r\n", out);
    EXPECT_EQ(out, "subject:Hello World\r\n");
}

TEST(DkimCanonicalization, LeavesEightBitOctetsAlone) {
    std::string out;
    canonicalize_header(Canonicalization::relaxed, "Subject: caf\xc3\xa9  \xe2\x9c\x93\r\n", out);
    EXPECT_EQ(out, "subject:caf\xc3\xa9 \xe2\x9c\x93\r\n");
    EXPECT_EQ(canonicalize_body(Canonicalization::relaxed, "\xc3\xa9t\xc3\xa9  \r\n"),
              "\xc3\xa9t\xc3\xa9\r\n");
}

}  // namespace
