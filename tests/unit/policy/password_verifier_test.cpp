#include "policy/password_verifier.hpp"

#include <crypt.h>
#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <thread>

namespace herald::policy {
namespace {

// A real crypt(3) hash of password with the given method prefix ("$y$", "$6$").
std::string hash_of(const std::string& password, const char* prefix) {
    std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> setting{};
    EXPECT_NE(crypt_gensalt_rn(prefix, 0, nullptr, 0, setting.data(), setting.size()), nullptr);
    auto data = std::make_unique<crypt_data>();
    const char* hash = crypt_r(password.c_str(), setting.data(), data.get());
    EXPECT_NE(hash, nullptr);
    EXPECT_TRUE(std::string(hash).starts_with(prefix)) << hash;
    return hash;
}

// Two users with real hashes, made once: yescrypt is slow on purpose.
const std::vector<config::User>& test_users() {
    static const std::vector<config::User> users{
        {.name = "alice", .password_hash = hash_of("correct horse", "$y$")},
        {.name = "bob", .password_hash = hash_of("s3cret!", "$6$")},
    };
    return users;
}

class PasswordVerifierTest : public ::testing::Test {
  protected:
    PasswordVerifier verifier{test_users()};
};

TEST_F(PasswordVerifierTest, AcceptsTheRightPasswordForYescryptAndShaCrypt) {
    EXPECT_TRUE(verifier.verify("alice", "correct horse"));
    EXPECT_TRUE(verifier.verify("bob", "s3cret!"));
}

TEST_F(PasswordVerifierTest, RefusesWrongPasswords) {
    for (const char* wrong : {"", "correct", "correct horse ", "Correct horse", "s3cret!"}) {
        EXPECT_FALSE(verifier.verify("alice", wrong)) << wrong;
    }
    EXPECT_FALSE(verifier.verify("bob", "correct horse"));
}

TEST_F(PasswordVerifierTest, RefusesUnknownUsersEvenWithAKnownPassword) {
    EXPECT_FALSE(verifier.verify("mallory", "correct horse"));
    EXPECT_FALSE(verifier.verify("Alice", "correct horse"));
    EXPECT_FALSE(verifier.verify("", ""));
    EXPECT_FALSE(verifier.verify(std::string("alice\0", 6), "correct horse"));
}

TEST_F(PasswordVerifierTest, RefusesPasswordsWithNulOrOfHugeLength) {
    EXPECT_FALSE(verifier.verify("alice", std::string("correct horse\0x", 15)));
    EXPECT_FALSE(verifier.verify("alice", std::string("correct horse\0", 14)));
    EXPECT_FALSE(verifier.verify("alice", std::string(1 << 20, 'a')));
}

TEST(PasswordVerifier, RefusesEveryoneWhenNoUserIsConfigured) {
    PasswordVerifier verifier({});
    EXPECT_FALSE(verifier.verify("alice", "anything"));
    EXPECT_FALSE(verifier.verify("", ""));
}

TEST(PasswordVerifier, SurvivesAMalformedStoredHash) {
    PasswordVerifier verifier(
        {{.name = "eve", .password_hash = "$y$broken"}, {.name = "zed", .password_hash = "*0"}});
    EXPECT_FALSE(verifier.verify("eve", "x"));
    EXPECT_FALSE(verifier.verify("zed", ""));
    EXPECT_FALSE(verifier.verify("zed", "*0"));
    EXPECT_FALSE(verifier.verify("nobody", ""));
}

TEST_F(PasswordVerifierTest, WorksFromSeveralThreadsAtOnce) {
    std::array<bool, 4> results{};
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < results.size(); ++i) {
        threads.emplace_back([&, i] {
            results[i] =
                i % 2 == 0 ? verifier.verify("bob", "s3cret!") : !verifier.verify("bob", "wrong");
        });
    }
    for (auto& t : threads) t.join();
    for (bool ok : results) EXPECT_TRUE(ok);
}

}  // namespace
}  // namespace herald::policy
