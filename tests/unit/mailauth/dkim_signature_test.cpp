#include "mailauth/dkim/signature.hpp"

#include <gtest/gtest.h>

namespace {

using namespace herald::mailauth::dkim;

const char* const kValid =
    " v=1; a=rsa-sha256; c=relaxed; d=example.com; s=s1; t=100; x=200; l=5;"
    " i=joe@mail.example.com; q=dns/txt; h=From : To;"
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=YWJj\r\n ZGVm";

TEST(DkimSignature, ParsesEveryTagAVerifierUses) {
    auto sig = parse_signature(kValid);
    ASSERT_TRUE(sig.ok()) << sig.error();
    EXPECT_EQ(sig->algorithm, Algorithm::rsa_sha256);
    EXPECT_EQ(sig->header_c, Canonicalization::relaxed);
    EXPECT_EQ(sig->body_c, Canonicalization::simple);  // "relaxed" alone is relaxed/simple
    EXPECT_EQ(sig->domain, "example.com");
    EXPECT_EQ(sig->selector, "s1");
    EXPECT_EQ(sig->identity, "joe@mail.example.com");
    EXPECT_EQ(sig->signed_headers, (std::vector<std::string>{"From", "To"}));
    EXPECT_EQ(sig->signature, "abcdef");
    EXPECT_EQ(*sig->timestamp, 100);
    EXPECT_EQ(*sig->expiration, 200);
    EXPECT_EQ(*sig->body_length, 5u);
    EXPECT_EQ(std::string(kValid).substr(sig->b_value_begin, sig->b_value_end - sig->b_value_begin),
              "YWJj\r\n ZGVm");
}

TEST(DkimSignature, NamesWhatIsWrong) {
    auto error_of = [](std::string value) {
        auto sig = parse_signature(value);
        return sig.ok() ? std::string("ok") : sig.error();
    };
    const std::string tail = "; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=YWJj";
    EXPECT_EQ(error_of("v=1; a=rsa-sha1; d=x.com; s=s; h=from" + tail),
              "unsupported algorithm rsa-sha1");
    EXPECT_NE(error_of("v=1; a=rsa-sha256; d=x.com; s=s; h=to" + tail).find("From is not signed"),
              std::string::npos);
    EXPECT_NE(error_of("v=1; a=rsa-sha256; s=s; h=from" + tail).find("missing d="),
              std::string::npos);
    EXPECT_NE(error_of("v=1; a=rsa-sha256; d=x.com; s=s; i=a@evil.com; h=from" + tail).find("i="),
              std::string::npos);
    EXPECT_NE(error_of("v=1; a=rsa-sha256; d=x.com; s=s; t=5; x=4; h=from" + tail).find("x="),
              std::string::npos);
    EXPECT_NE(error_of("v=1; a=rsa-sha256; d=x.com; s=s; t=99999999999999999999; h=from" + tail)
                  .find("t="),
              std::string::npos);
    EXPECT_NE(error_of("v=2; a=rsa-sha256; d=x.com; s=s; h=from" + tail).find("version"),
              std::string::npos);
    EXPECT_NE(error_of("v=1; a=rsa-sha256; d=x.com; s=s; q=http; h=from" + tail).find("query"),
              std::string::npos);
    EXPECT_NE(error_of("garbage").find("syntax error"), std::string::npos);
}

TEST(DkimSignature, WritesLinesOfAtMost78Characters) {
    SignatureSpec spec;
    spec.domain = "a-rather-long-subdomain.of-an-even-longer-domain.example.com";
    spec.selector = "selector-2026-03";
    spec.timestamp = 1700000000;
    spec.signed_headers.push_back("from");
    for (int i = 0; i < 30; ++i) spec.signed_headers.push_back("list-unsubscribe-post");
    spec.body_hash = std::string(32, 'x');
    std::string field = format_unsigned_field(spec);
    EXPECT_TRUE(field.ends_with("b="));
    insert_folded_signature(field, field.size(), std::string(344, 'Q'));
    std::size_t start = 0;
    while (start < field.size()) {
        std::size_t end = field.find("\r\n", start);
        if (end == std::string::npos) end = field.size();
        EXPECT_LE(end - start, 78u) << field.substr(start, end - start);
        start = end + 2;
    }
    // What was written parses back to what was meant.
    auto parsed = parse_signature(field.substr(field.find(':') + 1));
    ASSERT_TRUE(parsed.ok()) << parsed.error();
    EXPECT_EQ(parsed->domain, spec.domain);
    EXPECT_EQ(parsed->signed_headers, spec.signed_headers);
    EXPECT_EQ(parsed->body_hash, spec.body_hash);
}

}  // namespace
