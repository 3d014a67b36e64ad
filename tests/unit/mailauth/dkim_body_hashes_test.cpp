#include <gtest/gtest.h>

#include <random>
#include <string>

#include "mailauth/dkim/body_hash.hpp"
#include "mailauth/dkim/keyring.hpp"
#include "mailauth/dkim/signer.hpp"
#include "message/header_block.hpp"

namespace {

using namespace herald::mailauth::dkim;

std::string sample_body() {
    std::string body;
    std::mt19937 random(5);
    const std::vector<std::string> pieces{"word", " ", "\t", "  ", "\r\n", "\r\n\r\n", "x"};
    for (int i = 0; i < 20000; ++i) body += pieces[random() % pieces.size()];
    return body + "\r\n\r\n\r\n";
}

// The intake hashes a spooled body in chunks: the hash must not depend on where they fall.
TEST(DkimStreamedBodyHashes, StreamedHashEqualsTheWholeBodyHash) {
    const std::string body = sample_body();
    std::mt19937 random(11);
    for (int round = 0; round < 20; ++round) {
        StreamedBodyHashes hashes;
        hashes.want(Canonicalization::simple);
        hashes.want(Canonicalization::relaxed);
        hashes.want(Canonicalization::relaxed);  // asked twice, hashed once
        for (std::size_t at = 0; at < body.size();) {
            const std::size_t n = 1 + random() % 5000;
            hashes.update(std::string_view(body).substr(at, n));
            at += n;
        }
        hashes.finish();
        for (auto c : {Canonicalization::simple, Canonicalization::relaxed}) {
            ASSERT_NE(hashes.digest(c), nullptr);
            EXPECT_EQ(*hashes.digest(c), hash_body(body, c).digest) << round;
        }
    }
}

TEST(DkimStreamedBodyHashes, GivesNoHashThatWasNotWanted) {
    StreamedBodyHashes hashes;
    hashes.want(Canonicalization::relaxed);
    hashes.update("body\r\n");
    hashes.finish();
    EXPECT_EQ(hashes.digest(Canonicalization::simple), nullptr);
}

// Ed25519 signatures are deterministic: signing the header section with a streamed body
// hash must give the very field that signing the whole message gives.
TEST(DkimStreamedBodyHashes, SigningTheHeaderWithAStreamedHashEqualsSigningTheMessage) {
    auto key = PrivateKey::generate(Algorithm::ed25519_sha256);
    ASSERT_TRUE(key.ok());
    auto signer = Signer::create("s1", std::move(*key));
    ASSERT_TRUE(signer.ok());
    const auto shared_signer = std::make_shared<const Signer>(std::move(*signer));
    const std::string header = "From: a@example.com\r\nTo: b@x.net\r\nSubject: big\r\n";
    const std::string body = sample_body();
    const std::string message = header + "\r\n" + body;
    for (auto c : {Canonicalization::simple, Canonicalization::relaxed}) {
        SignOptions options;
        options.timestamp = 1700000000;
        options.body_c = c;
        std::vector<SigningChoice> choices{{shared_signer, "example.com", options}};
        StreamedBodyHashes hashes;
        want_body_hashes(hashes, choices);
        for (std::size_t at = 0; at < body.size(); at += 4096) {
            hashes.update(std::string_view(body).substr(at, 4096));
        }
        hashes.finish();
        std::vector<std::string> failures;
        const std::string streamed = sign_message(header, hashes, choices, failures);
        const std::string whole = sign_message(message, choices, failures);
        EXPECT_TRUE(failures.empty());
        EXPECT_FALSE(streamed.empty());
        EXPECT_EQ(streamed, whole);
    }
}

}  // namespace
