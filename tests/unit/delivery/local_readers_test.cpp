// Real mail readers read what the maildir and mbox transports write: Python's mailbox module
// and GNU mailutils (frm, readmsg). Each test skips when its reader is not installed.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "delivery/transports/maildir.hpp"
#include "delivery/transports/mbox.hpp"
#include "transport_test_support.hpp"

namespace herald::delivery {
namespace {

namespace fs = std::filesystem;
using testing::envelope_from;
using testing::run_delivery;
using testing::TempDir;

constexpr const char* kPython = "/usr/bin/python3";
constexpr const char* kFrm = "/usr/bin/frm";
constexpr const char* kReadmsg = "/usr/bin/readmsg";

constexpr std::string_view kTrickyBody = "From the start of a line\r\n>From quoted\r\nplain\r\n";

struct CommandOutput {
    int status = -1;
    std::string out;
};

// The paths come from mkdtemp and contain no shell metacharacters.
CommandOutput run_command(const std::string& command) {
    CommandOutput result;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (!pipe) return result;
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) result.out.append(buf, n);
    int status = ::pclose(pipe);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

bool installed(const char* program) {
    return ::access(program, X_OK) == 0;
}

std::string message(int n) {
    std::string body = n == 2 ? std::string(kTrickyBody) : "body " + std::to_string(n) + "\r\n";
    return "From: Sender <s@x.example>\r\nTo: a@example.com\r\nSubject: message " +
           std::to_string(n) + "\r\nMessage-ID: <" + std::to_string(n) + "@x.example>\r\n\r\n" +
           body;
}

void deliver_three(Transport& transport) {
    auto envelope = envelope_from("s@x.example", {"a@example.com"});
    for (int n = 1; n <= 3; ++n) {
        std::string data = message(n);
        auto results = run_delivery(transport, {"id", envelope, envelope.recipients, data});
        ASSERT_EQ(results.size(), 1u);
        ASSERT_EQ(results[0].outcome, RecipientResult::Outcome::delivered) << results[0].detail;
    }
}

std::string python(const TempDir& tmp, const std::string& script, const fs::path& mailbox) {
    std::ofstream(tmp / "reader.py") << script;
    auto result = run_command(std::string(kPython) + " " + (tmp / "reader.py").string() + " " +
                              mailbox.string());
    EXPECT_EQ(result.status, 0) << result.out;
    return result.out;
}

TEST(LocalReaders, PythonMailboxReadsTheMaildir) {
    if (!installed(kPython)) GTEST_SKIP() << kPython << " is not installed";
    TempDir tmp;
    MaildirTransport transport("local", (tmp / "mail/{user}").string());
    deliver_three(transport);
    auto out = python(tmp,
                      "import mailbox, sys\n"
                      "box = mailbox.Maildir(sys.argv[1], create=False)\n"
                      "for m in sorted(box, key=lambda m: m['Subject']):\n"
                      "    print(m['Subject'], '|', m['Delivered-To'], '|', m['Return-Path'],\n"
                      "          '|', repr(m.get_payload()))\n",
                      tmp / "mail/a");
    EXPECT_EQ(out,
              "message 1 | a@example.com | <s@x.example> | 'body 1\\n'\n"
              "message 2 | a@example.com | <s@x.example> | "
              "'From the start of a line\\n>From quoted\\nplain\\n'\n"
              "message 3 | a@example.com | <s@x.example> | 'body 3\\n'\n");
}

TEST(LocalReaders, PythonMailboxReadsTheMbox) {
    if (!installed(kPython)) GTEST_SKIP() << kPython << " is not installed";
    TempDir tmp;
    MboxTransport transport("local", (tmp / "mail/{user}").string());
    deliver_three(transport);
    // Python splits on "From " lines but does not unquote, so message 2 shows mboxrd quoting.
    auto out = python(tmp,
                      "import mailbox, sys\n"
                      "for m in mailbox.mbox(sys.argv[1], create=False):\n"
                      "    print(m['Subject'], '|', m.get_from().split()[0], '|',\n"
                      "          m['Delivered-To'], '|', repr(m.get_payload()))\n",
                      tmp / "mail/a");
    EXPECT_EQ(out,
              "message 1 | s@x.example | a@example.com | 'body 1\\n'\n"
              "message 2 | s@x.example | a@example.com | "
              "'>From the start of a line\\n>>From quoted\\nplain\\n'\n"
              "message 3 | s@x.example | a@example.com | 'body 3\\n'\n");
}

TEST(LocalReaders, MailutilsFrmListsTheMaildir) {
    if (!installed(kFrm)) GTEST_SKIP() << kFrm << " (mailutils) is not installed";
    TempDir tmp;
    MaildirTransport transport("local", (tmp / "mail/{user}").string());
    deliver_three(transport);
    auto out = run_command(std::string(kFrm) + " --no-config maildir:" + (tmp / "mail/a").string() +
                           " | sort")
                   .out;
    EXPECT_EQ(out,
              "Sender\tmessage 1\n"
              "Sender\tmessage 2\n"
              "Sender\tmessage 3\n");
}

TEST(LocalReaders, MailutilsFrmListsTheMbox) {
    if (!installed(kFrm)) GTEST_SKIP() << kFrm << " (mailutils) is not installed";
    TempDir tmp;
    MboxTransport transport("local", (tmp / "mail/{user}").string());
    deliver_three(transport);
    auto out = run_command(std::string(kFrm) + " --no-config " + (tmp / "mail/a").string()).out;
    EXPECT_EQ(out,
              "Sender\tmessage 1\n"
              "Sender\tmessage 2\n"
              "Sender\tmessage 3\n");
}

TEST(LocalReaders, MailutilsReadmsgUndoesTheMboxrdQuoting) {
    if (!installed(kReadmsg)) GTEST_SKIP() << kReadmsg << " (mailutils) is not installed";
    TempDir tmp;
    MboxTransport transport("local", (tmp / "mail/{user}").string());
    deliver_three(transport);
    auto out = run_command(std::string(kReadmsg) + " --no-config -n -f " +
                           (tmp / "mail/a").string() + " 2");
    EXPECT_EQ(out.status, 0) << out.out;
    EXPECT_TRUE(out.out.starts_with("From the start of a line\n>From quoted\nplain\n")) << out.out;
}

}  // namespace
}  // namespace herald::delivery
