// The published vectors: RFC 8463 Appendix A (both signatures verify; the Ed25519 one is
// reproduced byte for byte, Ed25519 being deterministic).
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "dkim_test_data.hpp"
#include "dns/fixture_resolver.hpp"
#include "mailauth/dkim/private_key.hpp"
#include "mailauth/dkim/signature.hpp"
#include "mailauth/dkim/signer.hpp"
#include "mailauth/dkim/verifier.hpp"

namespace {

using namespace herald::mailauth::dkim;
using namespace herald::mailauth::dkim::testing;

// The first DKIM-Signature field of the RFC message, as printed (folding included).
std::string rfc_ed25519_field() {
    const std::string message = rfc8463_message();
    const std::size_t second = message.find("DKIM-Signature:", 1);
    return message.substr(0, second);
}

std::string without_folding(std::string text) {
    for (std::size_t at; (at = text.find("\r\n ")) != std::string::npos;) text.erase(at, 3);
    return text;
}

TEST(DkimRfc8463, BothSignaturesOfTheExampleVerify) {
    const auto results = verify_message(rfc8463_message(), rfc8463_keys(), kRfc8463Time);
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[0].to_line(), "dkim=pass d=football.example.com s=brisbane a=ed25519-sha256");
    EXPECT_EQ(results[1].to_line(), "dkim=pass d=football.example.com s=test a=rsa-sha256");
}

TEST(DkimRfc8463, BothSignaturesVerifyThroughTheFixtureResolver) {
    auto resolver = herald::dns::FixtureResolver::load(std::string(HERALD_SOURCE_DIR) +
                                                       "/tests/conformance/dkim/rfc8463/dns.yml");
    ASSERT_TRUE(resolver.ok()) << resolver.error();
    const std::string message = rfc8463_message();
    boost::asio::io_context io;
    auto future = boost::asio::co_spawn(io, verify_message(message, *resolver, kRfc8463Time),
                                        boost::asio::use_future);
    io.run();
    const auto results = future.get();
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[0].outcome, Outcome::pass) << results[0].to_line();
    EXPECT_EQ(results[1].outcome, Outcome::pass) << results[1].to_line();
}

TEST(DkimRfc8463, SigningWithTheSameKeyHeadersAndTimeReproducesTheEd25519Signature) {
    auto key = PrivateKey::load_file(std::string(HERALD_SOURCE_DIR) +
                                     "/tests/conformance/dkim/rfc8463/ed25519.key");
    ASSERT_TRUE(key.ok()) << key.error();
    EXPECT_EQ(key->record_text(),
              "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
    auto signer = Signer::create("brisbane", *key);
    ASSERT_TRUE(signer.ok()) << signer.error();

    const std::string expected = rfc_ed25519_field();
    auto field = signer->sign_with_template(rfc8463_unsigned_message(), expected);
    ASSERT_TRUE(field.ok()) << field.error();
    auto ours = parse_signature(field->substr(field->find(':') + 1));
    auto theirs = parse_signature(expected.substr(expected.find(':') + 1));
    ASSERT_TRUE(ours.ok() && theirs.ok());
    EXPECT_EQ(ours->signature, theirs->signature);
    // The whole field too, but for where b= is folded (the RFC folds it at 60 columns).
    EXPECT_EQ(without_folding(*field), without_folding(expected));
}

TEST(DkimRfc8463, AFreshSignatureWithTheExampleKeyVerifies) {
    auto key = PrivateKey::load_file(std::string(HERALD_SOURCE_DIR) +
                                     "/tests/conformance/dkim/rfc8463/ed25519.key");
    ASSERT_TRUE(key.ok()) << key.error();
    auto signer = Signer::create("brisbane", *key);
    ASSERT_TRUE(signer.ok());
    SignOptions options;
    options.timestamp = kRfc8463Time;
    options.identity = "@football.example.com";
    options.headers = {"from", "to", "subject", "date", "message-id", "from", "subject", "date"};
    const std::string message = rfc8463_unsigned_message();
    auto field = signer->sign(message, "football.example.com", options);
    ASSERT_TRUE(field.ok()) << field.error();
    EXPECT_NE(field->find("bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;"), std::string::npos);
    const auto results = verify_message(*field + message, rfc8463_keys(), kRfc8463Time);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].outcome, Outcome::pass) << results[0].to_line();
}

TEST(DkimRfc8463, TheRsaExampleKeyIsTooWeakToSignWith) {
    auto key = PrivateKey::load_file(std::string(HERALD_SOURCE_DIR) +
                                     "/tests/conformance/dkim/rfc8463/rsa.key");
    ASSERT_TRUE(key.ok()) << key.error();
    EXPECT_EQ(key->bits(), 1024);
    auto signer = Signer::create("test", *key);
    ASSERT_FALSE(signer.ok());
    EXPECT_NE(signer.error().find("too weak"), std::string::npos) << signer.error();
}

TEST(DkimRfc8463, TheExampleKeysMatchTheirPublishedRecords) {
    const auto keys = rfc8463_keys();
    for (auto [file, name] : {std::pair{"ed25519.key", "brisbane._domainkey.football.example.com"},
                              std::pair{"rsa.key", "test._domainkey.football.example.com"}}) {
        auto key = PrivateKey::load_file(std::string(HERALD_SOURCE_DIR) +
                                         "/tests/conformance/dkim/rfc8463/" + file);
        ASSERT_TRUE(key.ok()) << key.error();
        const auto match = published_key_matches(*key, keys.at(name).records.front());
        EXPECT_TRUE(match.matches) << file << ": " << match.reason;
    }
}

}  // namespace
