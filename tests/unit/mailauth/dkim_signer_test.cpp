#include "mailauth/dkim/signer.hpp"

#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "mailauth/dkim/keygen.hpp"
#include "mailauth/dkim/signing_keys.hpp"
#include "mailauth/dkim/verifier.hpp"

namespace {

using namespace herald::mailauth::dkim;
namespace fs = std::filesystem;

PrivateKey ed25519() {
    auto key = PrivateKey::generate(Algorithm::ed25519_sha256);
    EXPECT_TRUE(key.ok());
    return *key;
}

TEST(DkimSigner, SignsTheDefaultHeadersPresentAndOverSignsFrom) {
    const std::string message =
        "From: a@example.com\r\nTo: b@x.net\r\nTo: c@x.net\r\nX-Mailer: m\r\n"
        "List-Unsubscribe: <mailto:u@example.com>\r\nSubject: s\r\n\r\nbody\r\n";
    EXPECT_EQ(select_headers(message), (std::vector<std::string>{"from", "from", "to", "to",
                                                                 "subject", "list-unsubscribe"}));
    auto signer = Signer::create("s1", ed25519());
    ASSERT_TRUE(signer.ok());
    SignOptions options;
    options.timestamp = 1700000000;
    auto field = signer->sign(message, "example.com", options);
    ASSERT_TRUE(field.ok()) << field.error();
    EXPECT_TRUE(field->starts_with("DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;"));
    EXPECT_NE(field->find("t=1700000000;"), std::string::npos);
    EXPECT_NE(field->find("h=from:from:to:to:subject:list-unsubscribe;"), std::string::npos);
    EXPECT_TRUE(field->ends_with("\r\n"));
}

TEST(DkimSigner, UsesAnExplicitHeaderListButInsistsOnFrom) {
    auto signer = Signer::create("s1", ed25519());
    ASSERT_TRUE(signer.ok());
    SignOptions options;
    options.headers = {"Subject", "Date"};
    auto refused = signer->sign("From: a@example.com\r\n\r\n", "example.com", options);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().find("From"), std::string::npos);
    options.headers = {"From", "Subject", "Date"};
    auto field = signer->sign("From: a@example.com\r\n\r\n", "example.com", options);
    ASSERT_TRUE(field.ok()) << field.error();
    EXPECT_NE(field->find("h=From:Subject:Date;"), std::string::npos);
}

TEST(DkimSigner, RefusesBadDomainsAndSelectors) {
    EXPECT_FALSE(Signer::create("bad selector", ed25519()).ok());
    auto signer = Signer::create("s1", ed25519());
    ASSERT_TRUE(signer.ok());
    EXPECT_FALSE(signer->sign("From: a@b.c\r\n\r\n", "exa mple.com").ok());
    EXPECT_FALSE(signer->sign("From: a@b.c\r\n\r\n", "example.com;x=1").ok());
}

TEST(DkimPrivateKey, LoadsPemKeysAndRefusesGarbage) {
    const auto key = ed25519();
    auto again = PrivateKey::from_text(key.to_pem());
    ASSERT_TRUE(again.ok()) << again.error();
    EXPECT_EQ(again->public_key_base64(), key.public_key_base64());
    for (const std::string& text : std::vector<std::string>{
             "", "hello", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
             std::string(5000, 'A')}) {
        auto bad = PrivateKey::from_text(text);
        EXPECT_FALSE(bad.ok());
    }
    auto missing = PrivateKey::load_file("/nonexistent/key.pem");
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().find("/nonexistent/key.pem"), std::string::npos);
}

TEST(DkimPrivateKey, RefusesKeysOtherThanRsaAndEd25519) {
    EVP_PKEY* ec = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    ASSERT_NE(ec, nullptr);
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, ec, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    auto key = PrivateKey::from_text(std::string(data, static_cast<std::size_t>(size)));
    BIO_free(bio);
    EVP_PKEY_free(ec);
    ASSERT_FALSE(key.ok());
    EXPECT_NE(key.error().find("unsupported key type"), std::string::npos);
}

TEST(DkimPublishedKey, MatchesOnlyItsOwnRecord) {
    const auto key = ed25519();
    EXPECT_TRUE(published_key_matches(key, key.record_text()).matches);
    const auto other = ed25519();
    auto differs = published_key_matches(key, other.record_text());
    EXPECT_FALSE(differs.matches);
    EXPECT_EQ(differs.reason, "the published public key is not the private key's");
    EXPECT_FALSE(published_key_matches(key, "v=DKIM1; k=ed25519; p=").matches);
    EXPECT_FALSE(published_key_matches(key, "v=spf1 -all").matches);
    auto rsa = PrivateKey::generate(Algorithm::rsa_sha256, 2048);
    ASSERT_TRUE(rsa.ok());
    EXPECT_TRUE(published_key_matches(*rsa, rsa->record_text()).matches);
    auto wrong_type = published_key_matches(key, rsa->record_text());
    EXPECT_FALSE(wrong_type.matches);
    EXPECT_NE(wrong_type.reason.find("k=rsa"), std::string::npos);
}

TEST(DkimKeygen, WritesTheKeyMode0600AndNeverOverwrites) {
    const fs::path file =
        fs::temp_directory_path() / ("herald-keygen-" + std::to_string(::getpid()));
    fs::remove(file);
    const auto key = ed25519();
    ASSERT_TRUE(write_private_key(key, file).ok());
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto loaded = PrivateKey::load_file(file);
    ASSERT_TRUE(loaded.ok()) << loaded.error();
    EXPECT_EQ(loaded->public_key_base64(), key.public_key_base64());
    auto again = write_private_key(ed25519(), file);
    ASSERT_FALSE(again.ok());
    EXPECT_NE(again.error().find("already exists"), std::string::npos);
    EXPECT_EQ(PrivateKey::load_file(file)->public_key_base64(), key.public_key_base64());
    fs::remove(file);
}

TEST(DkimKeygen, RefusesWeakRsaAndSplitsTheRecordInto255OctetStrings) {
    EXPECT_FALSE(PrivateKey::generate(Algorithm::rsa_sha256, 1024).ok());
    auto key = PrivateKey::generate(Algorithm::rsa_sha256, 2048);
    ASSERT_TRUE(key.ok());
    const std::string record = key->record_text();
    EXPECT_GT(record.size(), 255u);
    const std::string line = zone_file_record("s1", "example.com", record);
    EXPECT_TRUE(line.starts_with("s1._domainkey.example.com. IN TXT ( \"v=DKIM1; k=rsa; p=MIIB"));
    EXPECT_TRUE(line.ends_with("\" )"));
    std::string joined;
    for (std::size_t open = line.find('"'); open != std::string::npos;) {
        const std::size_t close = line.find('"', open + 1);
        EXPECT_LE(close - open - 1, 255u);
        joined += line.substr(open + 1, close - open - 1);
        open = line.find('"', close + 1);
    }
    EXPECT_EQ(joined, record);
}

TEST(DkimSigningKeys, PicksTheFromDomainsKeysElseTheDefault) {
    SigningKeys keys;
    auto own_rsa = PrivateKey::generate(Algorithm::rsa_sha256);
    ASSERT_TRUE(own_rsa.ok());
    keys.add("Example.com", *Signer::create("rsa1", *own_rsa));
    keys.add("example.com", *Signer::create("ed1", ed25519()));
    keys.add("*", *Signer::create("default", ed25519()));
    EXPECT_EQ(keys.for_domain("example.com").size(), 2u);
    ASSERT_EQ(keys.for_domain("other.org").size(), 1u);
    EXPECT_EQ(keys.for_domain("other.org")[0]->selector(), "default");

    auto dual = keys.sign("From: Al <al@EXAMPLE.com>\r\nSubject: x\r\n\r\nhi\r\n");
    ASSERT_TRUE(dual.ok()) << dual.error();
    EXPECT_NE(dual->find("a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=rsa1;"),
              std::string::npos);
    EXPECT_NE(dual->find("a=ed25519-sha256;"), std::string::npos);
    EXPECT_NE(dual->find("s=ed1;"), std::string::npos);
    auto fallback = keys.sign("From: bob@other.org\r\n\r\nhi\r\n");
    ASSERT_TRUE(fallback.ok());
    EXPECT_NE(fallback->find("d=other.org;"), std::string::npos);
    EXPECT_NE(fallback->find("s=default;"), std::string::npos);
    auto no_from = keys.sign("Subject: x\r\n\r\nhi\r\n");
    ASSERT_TRUE(no_from.ok());
    EXPECT_EQ(*no_from, "");
}

TEST(DkimSigningKeys, FindsTheAuthorDomain) {
    EXPECT_EQ(author_domain("From: \"A, B\" <a@Mail.Example.COM>\r\n\r\n"), "mail.example.com");
    EXPECT_EQ(author_domain("From: a@x.com, b@y.com\r\n\r\n"), std::nullopt);
    EXPECT_EQ(author_domain("From: a@x.com\r\nFrom: b@y.com\r\n\r\n"), std::nullopt);
    EXPECT_EQ(author_domain("From: nobody\r\n\r\n"), std::nullopt);
}

}  // namespace
