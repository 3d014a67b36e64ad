#include "delivery/transports/seven_bit_downgrade.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "base/utf8.hpp"
#include "mailauth/dkim/signer.hpp"
#include "mailauth/dkim/verifier.hpp"
#include "message/header_block.hpp"
#include "message/seven_bit_conversion.hpp"
#include "transport_test_support.hpp"

namespace herald::delivery {
namespace {

using mailauth::dkim::Algorithm;
using mailauth::dkim::KeyAnswers;
using mailauth::dkim::Keyring;
using mailauth::dkim::Outcome;
using mailauth::dkim::PrivateKey;
using mailauth::dkim::Signer;

constexpr std::int64_t kNow = 1'800'000'000;

const std::string kMessage =
    "From: Alice <alice@signer.test>\r\nTo: bob@example.net\r\nSubject: hi\r\n"
    "Date: Thu, 1 Jan 2026 00:00:00 +0000\r\n\r\n"
    "Gr\xc3\xbc\xc3\x9f"
    "e aus K\xc3\xb6ln\r\n";

std::string sign(const PrivateKey& key, std::string_view selector, std::string_view domain,
                 const std::string& message) {
    auto signer = Signer::create(std::string(selector), key);
    EXPECT_TRUE(signer.ok());
    mailauth::dkim::SignOptions options;
    options.timestamp = kNow - 60;
    auto field = signer->sign(message, domain, options);
    EXPECT_TRUE(field.ok());
    return *field + message;
}

std::vector<std::string> signature_domains(std::string_view message) {
    std::vector<std::string> out;
    const auto block = message::HeaderBlock::parse(message);
    for (const auto& field : block.fields()) {
        if (!message::same_field_name(field.name, "DKIM-Signature")) continue;
        const auto d = field.value.find("d=");
        out.push_back(field.value.substr(d + 2, field.value.find(';', d) - d - 2));
    }
    return out;
}

class SevenBitDowngradeTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto key = PrivateKey::generate(Algorithm::ed25519_sha256);
        ASSERT_TRUE(key.ok());
        key_ = *key;
        auto other = PrivateKey::generate(Algorithm::ed25519_sha256);
        ASSERT_TRUE(other.ok());
        other_ = *other;
        const auto path = dir_ / "signer.test.s1.key";
        std::ofstream(path) << key_->to_pem();
        // A key others may read is refused (base/private_file.hpp).
        std::filesystem::permissions(path, std::filesystem::perms::owner_read);
        auto ring = Keyring::load({config::DkimKey{.domain = "signer.test",
                                                   .selector = "s1",
                                                   .private_key = path,
                                                   .require_dns_match = false}});
        ASSERT_TRUE(ring.ok()) << ring.error();
        keyring_ = std::move(*ring);
        published_["s1._domainkey.signer.test"] = {dns::Status::ok, {key_->record_text()}};
        published_["x1._domainkey.other.test"] = {dns::Status::ok, {other_->record_text()}};
    }

    std::vector<mailauth::dkim::VerifyResult> verify(std::string_view message) {
        return mailauth::dkim::verify_message(message, published_, kNow);
    }

    testing::TempDir dir_;
    std::optional<PrivateKey> key_;
    std::optional<PrivateKey> other_;
    std::shared_ptr<Keyring> keyring_;
    KeyAnswers published_;
};

TEST_F(SevenBitDowngradeTest, SignsTheConvertedMessageAgainWithHeraldsOwnKey) {
    const std::string signed_message = sign(*key_, "s1", "signer.test", kMessage);
    ASSERT_EQ(verify(signed_message).at(0).outcome, Outcome::pass);
    auto out = SevenBitDowngrade(keyring_)(signed_message);
    ASSERT_TRUE(out.ok()) << out.error();
    EXPECT_FALSE(has_non_ascii(*out));
    EXPECT_EQ(signature_domains(*out), std::vector<std::string>{"signer.test"});
    const auto results = verify(*out);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].outcome, Outcome::pass) << results[0].reason;
}

TEST_F(SevenBitDowngradeTest, LeavesOthersSignaturesAndOnesNamingHeraldsSelectorFalsely) {
    // A stranger's signature that names Herald's d= and s= but was made with another key: it
    // is not Herald's, so Herald must not vouch for the message by signing it again.
    const std::string forged = sign(*other_, "s1", "signer.test", kMessage);
    const std::string foreign = sign(*other_, "x1", "other.test", forged);
    auto out = SevenBitDowngrade(keyring_)(foreign);
    ASSERT_TRUE(out.ok()) << out.error();
    EXPECT_FALSE(has_non_ascii(*out));
    EXPECT_EQ(signature_domains(*out), (std::vector<std::string>{"other.test", "signer.test"}));
    for (const auto& result : verify(*out)) EXPECT_EQ(result.outcome, Outcome::fail);
}

TEST_F(SevenBitDowngradeTest, RemakesOnlyHeraldsSignatureBesideAForeignOne) {
    const std::string foreign = sign(*other_, "x1", "other.test", kMessage);
    const std::string both = sign(*key_, "s1", "signer.test", foreign);
    auto out = SevenBitDowngrade(keyring_)(both);
    ASSERT_TRUE(out.ok()) << out.error();
    EXPECT_EQ(signature_domains(*out), (std::vector<std::string>{"signer.test", "other.test"}));
    const auto results = verify(*out);
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[0].outcome, Outcome::pass) << results[0].reason;
    EXPECT_EQ(results[1].outcome, Outcome::fail);
}

TEST_F(SevenBitDowngradeTest, WithoutKeysItIsTheConversionAlone) {
    auto out = SevenBitDowngrade()(kMessage);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(*out, *message::convert_to_seven_bit(kMessage));
}

TEST_F(SevenBitDowngradeTest, PassesOnWhyAMessageCannotBeConverted) {
    const std::string bad = sign(*key_, "s1", "signer.test", "Subject: caf\xc3\xa9\r\n\r\nx\r\n");
    auto out = SevenBitDowngrade(keyring_)(bad);
    ASSERT_FALSE(out.ok());
    EXPECT_NE(out.error().find("header section"), std::string::npos) << out.error();
}

}  // namespace
}  // namespace herald::delivery
