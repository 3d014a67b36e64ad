// Every kind of message Herald signs verifies with dkimpy (python3-dkim), an independent
// implementation: both algorithms, both canonicalizations, bodies ending with and without
// blank lines, long folded headers, 8-bit UTF-8 content.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "mailauth/dkim/private_key.hpp"
#include "mailauth/dkim/signer.hpp"
#include "mailauth/dkim/verifier.hpp"

namespace {

using namespace herald::mailauth::dkim;
namespace fs = std::filesystem;

class DkimPythonInterop : public ::testing::Test {
  protected:
    void SetUp() override {
        if (std::system("/usr/bin/python3 -c 'import dkim' 2>/dev/null") != 0) {
            GTEST_SKIP() << "python3-dkim is not installed";
        }
        dir_ = fs::temp_directory_path() / ("herald-dkim-" + std::to_string(::getpid()));
        fs::create_directories(dir_);
    }
    void TearDown() override {
        std::error_code ignored;
        fs::remove_all(dir_, ignored);
    }

    // Signs `message` with `key`, has dkimpy verify it; also checks our own verifier agrees.
    void expect_verifies(const PrivateKey& key, const std::string& message,
                         Canonicalization header_c, Canonicalization body_c) {
        auto signer = Signer::create("sel", key);
        ASSERT_TRUE(signer.ok()) << signer.error();
        SignOptions options;
        options.header_c = header_c;
        options.body_c = body_c;
        auto field = signer->sign(message, "example.com", options);
        ASSERT_TRUE(field.ok()) << field.error();
        const std::string signed_message = *field + message;
        for (const auto& line : split_lines(*field)) EXPECT_LE(line.size(), 78u) << line;

        const fs::path message_file = dir_ / "message.eml";
        const fs::path records_file = dir_ / "records.txt";
        std::ofstream(message_file, std::ios::binary) << signed_message;
        std::ofstream(records_file, std::ios::binary)
            << "sel._domainkey.example.com " << key.record_text() << "\n";
        const std::string command =
            "/usr/bin/python3 " HERALD_SOURCE_DIR "/tests/unit/mailauth/fixtures/dkim_verify.py " +
            message_file.string() + " " + records_file.string() + " >/dev/null 2>&1";
        const int status = std::system(command.c_str());
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
            << to_string(key.algorithm()) << " " << to_string(header_c) << "/" << to_string(body_c)
            << "\n"
            << signed_message;

        KeyAnswers keys;
        keys["sel._domainkey.example.com"] = {herald::dns::Status::ok, {key.record_text()}};
        const auto ours = verify_message(signed_message, keys, 2'000'000'000);
        ASSERT_EQ(ours.size(), 1u);
        EXPECT_EQ(ours[0].outcome, Outcome::pass) << ours[0].to_line();
    }

    static std::vector<std::string> split_lines(const std::string& text) {
        std::vector<std::string> lines;
        std::size_t start = 0, end;
        while ((end = text.find("\r\n", start)) != std::string::npos) {
            lines.push_back(text.substr(start, end - start));
            start = end + 2;
        }
        return lines;
    }

    fs::path dir_;
};

std::vector<std::string> sample_messages() {
    const std::string headers =
        "From: Alice <alice@example.com>\r\n"
        "To: Bob <bob@example.net>\r\n"
        "Subject: Quarterly report\r\n"
        "Date: Mon, 02 Mar 2026 10:00:00 +0000\r\n"
        "Message-ID: <1@example.com>\r\n";
    return {
        headers + "\r\nHello Bob.\r\n",
        headers + "\r\nTrailing blank lines follow.\r\n\r\n\r\n\r\n",
        headers + "\r\nNo final line break",
        headers + "\r\n",
        headers + "\r\n  Spaces \t and\ttabs   \r\n\r\ninside  \r\n",
        // A long folded header and a duplicate To:.
        "From: alice@example.com\r\nTo: a@example.net,\r\n b@example.net,\r\n\tc@example.net\r\n"
        "To: d@example.net\r\nSubject: " +
            std::string(200, 'x') +
            "\r\n  continued   subject\r\n"
            "List-Unsubscribe: <https://example.com/u/1>\r\n"
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\r\nbody\r\n",
        // 8-bit UTF-8 (SMTPUTF8) in headers and body.
        "From: J\xc3\xb6rg <j\xc3\xb6rg@example.com>\r\nTo: b@example.net\r\n"
        "Subject: Gr\xc3\xbc\xc3\x9f"
        "e \xe2\x9c\x93\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "Stra\xc3\x9f"
        "e  \xe6\x97\xa5\xe6\x9c\xac\r\n\r\n",
    };
}

TEST_F(DkimPythonInterop, Ed25519SignaturesVerifyWithDkimpy) {
    auto key = PrivateKey::generate(Algorithm::ed25519_sha256);
    ASSERT_TRUE(key.ok()) << key.error();
    for (const auto& message : sample_messages()) {
        for (auto h : {Canonicalization::simple, Canonicalization::relaxed}) {
            for (auto b : {Canonicalization::simple, Canonicalization::relaxed}) {
                expect_verifies(*key, message, h, b);
            }
        }
    }
}

TEST_F(DkimPythonInterop, RsaSignaturesVerifyWithDkimpy) {
    auto key = PrivateKey::generate(Algorithm::rsa_sha256, 2048);
    ASSERT_TRUE(key.ok()) << key.error();
    for (const auto& message : sample_messages()) {
        for (auto c : {Canonicalization::simple, Canonicalization::relaxed}) {
            expect_verifies(*key, message, c, c);
        }
    }
}

}  // namespace
