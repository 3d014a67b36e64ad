#include "mailauth/dkim/verifier.hpp"

#include <gtest/gtest.h>

#include "dkim_test_data.hpp"
#include "mailauth/dkim/base64.hpp"
#include "mailauth/dkim/body_hash.hpp"
#include "mailauth/dkim/signer.hpp"

namespace {

using namespace herald::mailauth::dkim;
using namespace herald::mailauth::dkim::testing;
using herald::dns::Status;

constexpr std::int64_t kNow = 1'800'000'000;

class DkimVerifier : public ::testing::Test {
  protected:
    void SetUp() override {
        auto key = PrivateKey::generate(Algorithm::ed25519_sha256);
        ASSERT_TRUE(key.ok());
        key_ = *key;
        keys_["s1._domainkey.example.com"] = {Status::ok, {key_->record_text()}};
    }

    std::string signed_message(const std::string& message, SignOptions options = {}) {
        auto signer = Signer::create("s1", *key_);
        EXPECT_TRUE(signer.ok());
        if (!options.timestamp) options.timestamp = kNow - 60;
        auto field = signer->sign(message, "example.com", options);
        EXPECT_TRUE(field.ok()) << field.error();
        return *field + message;
    }

    VerifyResult only_result(const std::string& message) {
        auto results = verify_message(message, keys_, kNow);
        EXPECT_EQ(results.size(), 1u);
        return results.empty() ? VerifyResult{} : results.front();
    }

    std::optional<PrivateKey> key_;
    KeyAnswers keys_;
    const std::string message_ =
        "From: a@example.com\r\nTo: b@example.net\r\nSubject: hi\r\n\r\nHello.\r\n";
};

TEST_F(DkimVerifier, PassesAnUntouchedMessage) {
    EXPECT_EQ(only_result(signed_message(message_)).to_line(),
              "dkim=pass d=example.com s=s1 a=ed25519-sha256");
}

TEST_F(DkimVerifier, ReportsABodyHashMismatch) {
    std::string m = signed_message(message_);
    m.replace(m.find("Hello."), 6, "Hellx.");
    EXPECT_EQ(only_result(m).to_line(),
              "dkim=fail (body hash mismatch) d=example.com s=s1 a=ed25519-sha256");
}

TEST_F(DkimVerifier, ReportsASignatureMismatchWhenASignedHeaderChanges) {
    std::string m = signed_message(message_);
    m.replace(m.find("Subject: hi"), 11, "Subject: ho");
    EXPECT_EQ(only_result(m).reason, "signature mismatch");
}

TEST_F(DkimVerifier, AnAddedFromBreaksTheOverSignedSignature) {
    const std::string m = signed_message(message_);
    EXPECT_EQ(only_result("From: evil@example.org\r\n" + m).reason, "signature mismatch");
}

TEST_F(DkimVerifier, RelaxedToleratesWhitespaceChangesSimpleDoesNot) {
    SignOptions simple;
    simple.header_c = simple.body_c = Canonicalization::simple;
    for (auto [options, expected] :
         {std::pair{SignOptions{}, Outcome::pass}, std::pair{simple, Outcome::fail}}) {
        std::string m = signed_message(message_, options);
        m.replace(m.find("Subject: hi"), 11, "Subject:   hi ");
        m.replace(m.find("Hello.\r\n"), 8, "Hello.  \r\n\r\n");
        EXPECT_EQ(only_result(m).outcome, expected) << m;
    }
}

TEST_F(DkimVerifier, ReportsKeyProblems) {
    const std::string m = signed_message(message_);
    keys_["s1._domainkey.example.com"] = {Status::nxdomain, {}};
    EXPECT_EQ(only_result(m).reason, "key not found");
    keys_["s1._domainkey.example.com"] = {Status::ok, {"v=DKIM1; k=ed25519; p="}};
    EXPECT_EQ(only_result(m).reason, "key revoked");
    keys_["s1._domainkey.example.com"] = {Status::ok, {"v=DKIM1; k=ed25519; p=YWJj"}};
    EXPECT_NE(only_result(m).reason.find("key syntax error"), std::string::npos);
    keys_["s1._domainkey.example.com"] = {Status::ok, {"v=DKIM1; k=dsa; p=YWJj"}};
    EXPECT_NE(only_result(m).reason.find("unsupported key type"), std::string::npos);
    keys_["s1._domainkey.example.com"] = {Status::timeout, {}};
    const auto result = only_result(m);
    EXPECT_EQ(result.outcome, Outcome::temperror);
    EXPECT_EQ(result.to_line(),
              "dkim=temperror (key lookup failed: timeout) d=example.com s=s1 a=ed25519-sha256");
}

TEST_F(DkimVerifier, ReportsAnOtherKeyAsASignatureMismatch) {
    const std::string m = signed_message(message_);
    auto other = PrivateKey::generate(Algorithm::ed25519_sha256);
    ASSERT_TRUE(other.ok());
    keys_["s1._domainkey.example.com"] = {Status::ok, {other->record_text()}};
    EXPECT_EQ(only_result(m).reason, "signature mismatch");
}

TEST_F(DkimVerifier, ReportsExpiryAndUnsupportedAlgorithms) {
    EXPECT_EQ(only_result("DKIM-Signature: v=1; a=ed25519-sha256; d=example.com; s=s1; h=from; "
                          "t=1; x=2; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=YWJj\r\n" +
                          message_)
                  .reason,
              "signature expired");
    EXPECT_EQ(only_result("DKIM-Signature: v=1; a=rsa-sha1; d=example.com; s=s1; h=from; "
                          "bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=YWJj\r\n" +
                          message_)
                  .to_line(),
              "dkim=fail (unsupported algorithm rsa-sha1) d=example.com s=s1 a=rsa-sha1");
}

TEST_F(DkimVerifier, ReportsSyntaxErrorsWithoutCrashing) {
    for (const std::string& value : std::vector<std::string>{
             "", ";", "v=1", "v=1; a=ed25519-sha256; b=;;;", "\xff\xfe=\x01",
             std::string(70000, 'a'), "v=1; d=" + std::string(5000, 'x') + "; s=s"}) {
        const auto result = only_result("DKIM-Signature:" + value + "\r\n" + message_);
        EXPECT_EQ(result.outcome, Outcome::fail);
        EXPECT_FALSE(result.reason.empty());
    }
    EXPECT_TRUE(key_queries("DKIM-Signature: v=1; d=a b.com; s=x\r\n" + message_).empty());
}

TEST_F(DkimVerifier, ChecksOnlyTheFirstSignaturesOfAFloodedMessage) {
    std::string m = signed_message(message_);
    for (int i = 0; i < 20; ++i)
        m = "DKIM-Signature: v=1; d=x" + std::to_string(i) + ".com; s=s\r\n" + m;
    EXPECT_EQ(key_queries(m).size(), kMaxSignatures);
    const auto results = verify_message(m, keys_, kNow);
    ASSERT_EQ(results.size(), 21u);
    EXPECT_EQ(results.back().reason, "not checked: too many signatures");
}

TEST_F(DkimVerifier, HonoursTheBodyLengthTag) {
    // l=8 signs "Hello.\r\n" only: what a list appends afterwards does not break it.
    auto signer = Signer::create("s1", *key_);
    ASSERT_TRUE(signer.ok());
    const auto digest = hash_body("Hello.\r\n", Canonicalization::relaxed).digest;
    const std::string bh = encode_base64({reinterpret_cast<const char*>(digest.data()), 32});
    auto field = signer->sign_with_template(
        message_,
        "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed; d=example.com;"
        " s=s1; l=8; h=from:subject; bh=" +
            bh + "; b=");
    ASSERT_TRUE(field.ok()) << field.error();
    EXPECT_EQ(only_result(*field + message_ + "-- \r\nappended footer\r\n").outcome, Outcome::pass);
    std::string shortened = *field + message_;
    shortened.resize(shortened.size() - 4);
    EXPECT_EQ(only_result(shortened).reason, "l= is longer than the body");
}

TEST_F(DkimVerifier, AMessageWithoutSignaturesHasNoResults) {
    EXPECT_TRUE(verify_message(message_, keys_, kNow).empty());
}

}  // namespace
