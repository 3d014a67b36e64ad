#include "smtp/server_session.hpp"

#include <gtest/gtest.h>

#include <random>

#include "session_test_support.hpp"
#include "smtp/base64.hpp"

namespace herald::smtp {
namespace {

using testing::Conversation;
using testing::test_settings;

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

std::string plain_credentials(std::string_view user, std::string_view password) {
    std::string msg;
    msg += '\0';
    msg += user;
    msg += '\0';
    msg += password;
    return encode_base64(msg);
}

SessionSettings with_auth(SessionSettings s = test_settings()) {
    s.auth_available = true;
    s.allow_plaintext_auth = true;
    return s;
}

// ---- greeting, EHLO, HELO ----

TEST(ServerSession, GreetsWithHostname) {
    Conversation c;
    EXPECT_EQ(c.greeting, "220 mx.herald.test ESMTP Herald\r\n");
}

TEST(ServerSession, ListsExtensionsOnEhlo) {
    Conversation c;
    EXPECT_EQ(c.send("EHLO client.example\r\n"),
              "250-mx.herald.test\r\n250-PIPELINING\r\n250-SIZE 10000\r\n250-8BITMIME\r\n"
              "250-ENHANCEDSTATUSCODES\r\n250-SMTPUTF8\r\n250-CHUNKING\r\n250 DSN\r\n");
}

TEST(ServerSession, OffersStartTlsOnlyWhenAvailableAndNotActive) {
    SessionSettings s = test_settings();
    s.tls_available = true;
    Conversation c(s);
    EXPECT_TRUE(contains(c.send("EHLO a.example\r\n"), "250 STARTTLS\r\n"));
    c.send("STARTTLS\r\n");
    EXPECT_FALSE(contains(c.send("EHLO a.example\r\n"), "STARTTLS"));
}

// RFC 8689 4.1: REQUIRETLS only where the client's own hop is over TLS.
TEST(ServerSession, TakesRequireTlsOnlyOverTls) {
    SessionSettings s = test_settings();
    s.tls_available = true;
    Conversation c(s);
    EXPECT_FALSE(contains(c.send("EHLO a.example\r\n"), "REQUIRETLS"));
    EXPECT_EQ(c.send("MAIL FROM:<a@x.example> REQUIRETLS\r\n"),
              "530 5.7.10 REQUIRETLS needs a TLS session; use STARTTLS first\r\n");
    c.send("STARTTLS\r\n");
    EXPECT_TRUE(contains(c.send("EHLO a.example\r\n"), "250 REQUIRETLS\r\n"));
    c.send("MAIL FROM:<a@x.example> REQUIRETLS\r\nRCPT TO:<b@y.example>\r\nDATA\r\n.\r\n");
    c.send("MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\nDATA\r\n.\r\n");
    ASSERT_EQ(c.messages.size(), 2u);
    EXPECT_TRUE(c.messages[0].envelope.require_tls);
    EXPECT_FALSE(c.messages[1].envelope.require_tls);
}

TEST(ServerSession, OffersAuthOnlyOverTlsUnlessPlaintextIsAllowed) {
    SessionSettings s = test_settings();
    s.auth_available = true;
    s.tls_available = true;
    Conversation c(s);
    EXPECT_FALSE(contains(c.send("EHLO a.example\r\n"), "AUTH"));
    c.send("STARTTLS\r\n");
    EXPECT_TRUE(contains(c.send("EHLO a.example\r\n"), "250 AUTH PLAIN LOGIN\r\n"));
    Conversation plain(with_auth());
    EXPECT_TRUE(contains(plain.send("EHLO a.example\r\n"), "AUTH PLAIN LOGIN"));
}

TEST(ServerSession, AnswersHeloWithoutExtensions) {
    Conversation c;
    EXPECT_EQ(c.send("HELO client.example\r\n"), "250 mx.herald.test\r\n");
}

TEST(ServerSession, RejectsHeloWithoutOrWithABadName) {
    Conversation c;
    EXPECT_EQ(c.send("EHLO\r\n"), "501 5.5.4 Syntax: EHLO hostname\r\n");
    EXPECT_EQ(c.send("HELO two words\r\n"), "501 5.5.4 Syntax: HELO hostname\r\n");
    EXPECT_EQ(c.send(std::string("EHLO a\0b\r\n", 10)), "501 5.5.4 Syntax: EHLO hostname\r\n");
}

// ---- a whole transaction ----

TEST(ServerSession, AcceptsAMessageAndReportsTheEnvelope) {
    Conversation c;
    c.send("EHLO client.example\r\n");
    EXPECT_EQ(c.send("MAIL FROM:<a@example.com> BODY=8BITMIME\r\n"), "250 2.1.0 Ok\r\n");
    EXPECT_EQ(c.send("RCPT TO:<b@example.net>\r\n"), "250 2.1.5 Ok\r\n");
    EXPECT_EQ(c.send("RCPT TO:<c@example.net>\r\n"), "250 2.1.5 Ok\r\n");
    EXPECT_EQ(c.send("DATA\r\n"), "354 End data with <CR><LF>.<CR><LF>\r\n");
    EXPECT_EQ(c.send("Subject: hi\r\n\r\n..dot\r\n.\r\n"), "250 2.0.0 Ok: queued as Q1\r\n");
    ASSERT_EQ(c.messages.size(), 1u);
    const auto& m = c.messages[0];
    EXPECT_EQ(m.data, "Subject: hi\r\n\r\n.dot\r\n");
    EXPECT_EQ(m.envelope.sender, "a@example.com");
    EXPECT_EQ(m.envelope.recipients, (std::vector<std::string>{"b@example.net", "c@example.net"}));
    EXPECT_TRUE(m.envelope.body_8bit);
    EXPECT_FALSE(m.envelope.smtputf8);
    EXPECT_EQ(m.envelope.helo, "client.example");
    EXPECT_EQ(m.envelope.client_ip, "192.0.2.7");
    EXPECT_EQ(m.envelope.protocol, "esmtp");
    EXPECT_EQ(m.envelope.auth_user, "");
    EXPECT_LE(m.envelope.arrival, std::chrono::system_clock::now());
    EXPECT_TRUE(c.rejections.empty());
}

TEST(ServerSession, ResetsTheTransactionButKeepsEhloAfterAMessage) {
    Conversation c;
    c.send("EHLO client.example\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n");
    c.send("DATA\r\n.\r\n");
    EXPECT_EQ(c.send("RCPT TO:<b@y.example>\r\n"), "503 5.5.1 Need MAIL command first\r\n");
    EXPECT_EQ(c.send("MAIL FROM:<>\r\n"), "250 2.1.0 Ok\r\n");
    ASSERT_EQ(c.messages.size(), 1u);
    EXPECT_EQ(c.messages[0].data, "");
}

TEST(ServerSession, UsesRfc3848ProtocolNames) {
    Conversation helo;
    helo.send(
        "HELO a.example\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\nDATA\r\n.\r\n");
    ASSERT_EQ(helo.messages.size(), 1u);
    EXPECT_EQ(helo.messages[0].envelope.protocol, "smtp");

    SessionSettings s = with_auth();
    s.tls_active = true;
    Conversation tls(s);
    tls.send("EHLO a.example\r\nAUTH PLAIN " + plain_credentials("alice", "secret") + "\r\n");
    tls.send("MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\nDATA\r\n.\r\n");
    ASSERT_EQ(tls.messages.size(), 1u);
    EXPECT_EQ(tls.messages[0].envelope.protocol, "esmtpsa");
    EXPECT_EQ(tls.messages[0].envelope.auth_user, "alice");
}

TEST(ServerSession, ReportsTheRejectionTheCallerChose) {
    Conversation c;
    c.hold_messages = true;
    c.send("EHLO a.example\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\nDATA\r\n.\r\n");
    ASSERT_EQ(c.messages.size(), 1u);
    c.session.message_rejected(Reply(451, "4.3.0", "Local error"));
    EXPECT_EQ(c.drain(), "451 4.3.0 Local error\r\n");
    EXPECT_EQ(c.send("RCPT TO:<b@y.example>\r\n"), "503 5.5.1 Need MAIL command first\r\n");
}

TEST(ServerSession, ConsumesNoInputWhileAMessageIsBeingQueued) {
    Conversation c;
    c.hold_messages = true;
    c.send("EHLO a.example\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\nDATA\r\n");
    EXPECT_EQ(c.send(".\r\nQUIT\r\n"), "");
    EXPECT_FALSE(c.session.closed());
    c.session.message_accepted("ABC");
    EXPECT_EQ(c.drain(),
              "250 2.0.0 Ok: queued as ABC\r\n221 2.0.0 mx.herald.test closing connection\r\n");
    EXPECT_TRUE(c.session.closed());
}

// ---- sequencing errors ----

TEST(ServerSession, RequiresHeloBeforeMail) {
    Conversation c;
    EXPECT_EQ(c.send("MAIL FROM:<a@x.example>\r\n"), "503 5.5.1 Send HELO or EHLO first\r\n");
}

TEST(ServerSession, RefusesASecondMail) {
    Conversation c;
    c.send("EHLO a.example\r\nMAIL FROM:<a@x.example>\r\n");
    EXPECT_EQ(c.send("MAIL FROM:<a@x.example>\r\n"), "503 5.5.1 Sender already specified\r\n");
}

TEST(ServerSession, RequiresMailBeforeRcptAndData) {
    Conversation c;
    c.send("EHLO a.example\r\n");
    EXPECT_EQ(c.send("RCPT TO:<b@y.example>\r\n"), "503 5.5.1 Need MAIL command first\r\n");
    EXPECT_EQ(c.send("DATA\r\n"), "503 5.5.1 Need MAIL command first\r\n");
}

TEST(ServerSession, RefusesDataWithoutValidRecipients) {
    Conversation c;
    c.send("EHLO a.example\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<b@elsewhere.example>\r\n");
    EXPECT_EQ(c.send("DATA\r\n"), "554 5.5.1 No valid recipients\r\n");
}

TEST(ServerSession, RequiresAuthForMailOnSubmission) {
    SessionSettings s = with_auth();
    s.mode = SessionMode::submission;
    Conversation c(s);
    c.send("EHLO a.example\r\n");
    EXPECT_EQ(c.send("MAIL FROM:<a@x.example>\r\n"), "530 5.7.0 Authentication required\r\n");
    c.send("AUTH PLAIN " + plain_credentials("alice", "secret") + "\r\n");
    EXPECT_EQ(c.send("MAIL FROM:<a@x.example>\r\n"), "250 2.1.0 Ok\r\n");
    EXPECT_EQ(c.policy.seen_auth_user, "alice");
}

TEST(ServerSession, RsetClearsTheTransaction) {
    Conversation c;
    c.send("EHLO a.example\r\nMAIL FROM:<a@x.example>\r\n");
    EXPECT_EQ(c.send("RSET\r\n"), "250 2.0.0 Ok\r\n");
    EXPECT_EQ(c.send("MAIL FROM:<a@x.example>\r\n"), "250 2.1.0 Ok\r\n");
    EXPECT_EQ(c.send("RSET now\r\n"), "501 5.5.4 Syntax: RSET\r\n");
}

TEST(ServerSession, EhloAgainAbortsTheTransaction) {
    Conversation c;
    c.send("EHLO a.example\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n");
    c.send("EHLO b.example\r\n");
    EXPECT_EQ(c.send("DATA\r\n"), "503 5.5.1 Need MAIL command first\r\n");
}

TEST(ServerSession, AnswersSimpleCommands) {
    Conversation c;
    EXPECT_EQ(c.send("NOOP\r\n"), "250 2.0.0 Ok\r\n");
    EXPECT_TRUE(c.send("VRFY bob\r\n").starts_with("252 2.5.0 "));
    EXPECT_TRUE(c.send("HELP\r\n").starts_with("214 2.0.0 "));
    EXPECT_EQ(c.send("EXPN staff\r\n"), "500 5.5.2 Command not recognized\r\n");
    EXPECT_EQ(c.send("QUIT\r\n"), "221 2.0.0 mx.herald.test closing connection\r\n");
    EXPECT_TRUE(c.close_requested);
    EXPECT_TRUE(c.session.closed());
    EXPECT_EQ(c.send("NOOP\r\n"), "");
}

// ---- policy and limits ----

TEST(ServerSession, AsksThePolicyAboutSenderAndRecipients) {
    Conversation c;
    c.send("EHLO a.example\r\n");
    EXPECT_EQ(c.send("MAIL FROM:<spammer@bad.example>\r\n"), "553 5.7.1 Sender refused\r\n");
    c.send("MAIL FROM:<a@x.example>\r\n");
    EXPECT_EQ(c.send("RCPT TO:<v@elsewhere.example>\r\n"), "554 5.7.1 Relay access denied\r\n");
    EXPECT_EQ(c.policy.recipients, (std::vector<std::string>{"v@elsewhere.example"}));
    EXPECT_EQ(c.policy.seen_sender, "a@x.example");
    ASSERT_EQ(c.rejections.size(), 2u);
    EXPECT_EQ(c.rejections[1].command, "RCPT TO:<v@elsewhere.example>");
    EXPECT_EQ(c.rejections[1].reply.code, 554);
}

TEST(ServerSession, HandsThePolicyAndTheEnvelopeOneCanonicalFormOfEachAddress) {
    Conversation c;
    c.send("EHLO a.example\r\n");
    EXPECT_EQ(c.send("MAIL FROM:<\"b\\ad\"@X.Example>\r\n"), "250 2.1.0 Ok\r\n");
    EXPECT_EQ(c.send("RCPT TO:<\"bob\"@Local.Example>\r\n"), "250 2.1.5 Ok\r\n");
    EXPECT_EQ(c.send("RCPT TO:<\"a b\"@local.example>\r\n"), "250 2.1.5 Ok\r\n");
    EXPECT_EQ(c.send("RCPT TO:<BOB@local.example>\r\n"), "250 2.1.5 Ok\r\n");
    EXPECT_EQ(c.policy.senders, std::vector<std::string>{"bad@x.example"});
    EXPECT_EQ(c.policy.recipients,
              (std::vector<std::string>{"bob@local.example", "\"a b\"@local.example",
                                        "BOB@local.example"}));
    c.send("DATA\r\n");
    c.send("Subject: x\r\n\r\nx\r\n.\r\n");
    ASSERT_EQ(c.messages.size(), 1u);
    EXPECT_EQ(c.messages[0].envelope.sender, "bad@x.example");
    EXPECT_EQ(c.messages[0].envelope.recipients,
              (std::vector<std::string>{"bob@local.example", "\"a b\"@local.example",
                                        "BOB@local.example"}));
}

TEST(ServerSession, KeepsWhatAnAcceptedRecipientStandsFor) {
    Conversation c;
    c.send("EHLO a.example\r\n");
    c.send("MAIL FROM:<a@x.example>\r\n");
    EXPECT_EQ(c.send("RCPT TO:<team@x.example>\r\n"), "250 2.1.5 Ok\r\n");
    EXPECT_EQ(c.send("RCPT TO:<ann@x.example>\r\n"), "250 2.1.5 Ok\r\n");
    EXPECT_EQ(c.send("RCPT TO:<Postmaster>\r\n"), "250 2.1.5 Ok\r\n");
    c.send("DATA\r\n");
    c.send("Subject: x\r\n\r\nx\r\n.\r\n");
    ASSERT_EQ(c.messages.size(), 1u);
    EXPECT_EQ(c.messages[0].envelope.recipients,
              (std::vector<std::string>{"ann@x.example", "ben@x.example", "postmaster"}));
}

TEST(ServerSession, RefusesSourceRoutedRecipientsBeforeAskingThePolicy) {
    Conversation c;
    c.send("EHLO a.example\r\n");
    c.send("MAIL FROM:<a@x.example>\r\n");
    EXPECT_EQ(c.send("RCPT TO:<@relay.example:user@victim.example>\r\n"),
              "550 5.7.1 Source routes are not accepted\r\n");
    EXPECT_TRUE(c.policy.recipients.empty());
}

TEST(ServerSession, RefusesDeclaredSizeOverTheLimit) {
    Conversation c;
    c.send("EHLO a.example\r\n");
    EXPECT_EQ(c.send("MAIL FROM:<a@x.example> SIZE=10001\r\n"),
              "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
    EXPECT_EQ(c.send("MAIL FROM:<a@x.example> SIZE=10000\r\n"), "250 2.1.0 Ok\r\n");
}

TEST(ServerSession, RefusesDeclaredSizeTheSpoolHasNoRoomForWith452) {
    SessionSettings s = test_settings();
    std::vector<std::uint64_t> asked;
    s.has_room_for = [&asked](std::uint64_t size) {
        asked.push_back(size);
        return size <= 4000;
    };
    Conversation c(s);
    c.send("EHLO a.example\r\n");
    EXPECT_EQ(c.send("MAIL FROM:<a@x.example> SIZE=5000\r\n"),
              "452 4.3.1 Insufficient system storage\r\n");
    ASSERT_EQ(c.rejections.size(), 1u);
    EXPECT_EQ(c.rejections[0].reply.code, 452);
    EXPECT_EQ(c.send("MAIL FROM:<a@x.example> SIZE=4000\r\n"), "250 2.1.0 Ok\r\n");
    c.send("RSET\r\n");
    // Without SIZE there is nothing to ask about: DATA and the spool decide.
    EXPECT_EQ(c.send("MAIL FROM:<a@x.example>\r\n"), "250 2.1.0 Ok\r\n");
    EXPECT_EQ(asked, (std::vector<std::uint64_t>{5000, 4000}));
}

TEST(ServerSession, LimitsRecipientsWithoutCountingItAsAnError) {
    SessionSettings s = test_settings();
    s.max_errors = 2;
    Conversation c(s);
    c.send("EHLO a.example\r\nMAIL FROM:<a@x.example>\r\n");
    for (int i = 0; i < 5; ++i) c.send("RCPT TO:<r" + std::to_string(i) + "@y.example>\r\n");
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(c.send("RCPT TO:<late@y.example>\r\n"), "452 4.5.3 Too many recipients\r\n");
    }
    EXPECT_FALSE(c.session.closed());
}

TEST(ServerSession, ClosesAfterTooManyErrors) {
    SessionSettings s = test_settings();
    s.max_errors = 3;
    Conversation c(s);
    c.send("BOGUS\r\nBOGUS\r\n");
    EXPECT_FALSE(c.session.closed());
    EXPECT_EQ(c.send("BOGUS\r\nNOOP\r\n"),
              "500 5.5.2 Command not recognized\r\n"
              "421 4.7.0 mx.herald.test Too many errors, closing\r\n");
    EXPECT_TRUE(c.session.closed());
    EXPECT_TRUE(c.close_requested);
}

TEST(ServerSession, AcceptsUtf8AddressesOnlyWithSmtputf8) {
    Conversation c;
    c.send("EHLO a.example\r\n");
    EXPECT_TRUE(c.send("MAIL FROM:<\xc3\xa9@x.example>\r\n").starts_with("553 5.6.7"));
    c.send("MAIL FROM:<\xc3\xa9@x.example> SMTPUTF8\r\n");
    EXPECT_EQ(c.send("RCPT TO:<\xc3\xbc@y.example>\r\n"), "250 2.1.5 Ok\r\n");
    c.send("DATA\r\n.\r\n");
    ASSERT_EQ(c.messages.size(), 1u);
    EXPECT_TRUE(c.messages[0].envelope.smtputf8);
    EXPECT_EQ(c.messages[0].envelope.recipients[0], "\xc3\xbc@y.example");
}

TEST(ServerSession, CollapsesDuplicateRecipients) {
    Conversation c;
    c.send("EHLO a.example\r\nMAIL FROM:<a@x.example>\r\n");
    c.send("RCPT TO:<b@y.example>\r\nRCPT TO:<b@y.example>\r\nDATA\r\n.\r\n");
    ASSERT_EQ(c.messages.size(), 1u);
    EXPECT_EQ(c.messages[0].envelope.recipients.size(), 1u);
}

// ---- line limits and hostile input ----

TEST(ServerSession, RejectsCommandLinesOver512Octets) {
    Conversation c;
    const std::string just_fits = "NOOP " + std::string(505, 'x') + "\r\n";  // 512 octets
    EXPECT_EQ(c.send(just_fits), "250 2.0.0 Ok\r\n");
    const std::string too_long = "NOOP " + std::string(506, 'x') + "\r\n";
    EXPECT_EQ(c.send(too_long), "500 5.5.6 Line too long\r\n");
    EXPECT_EQ(c.send("NOOP\r\n"), "250 2.0.0 Ok\r\n");
}

TEST(ServerSession, SkipsAHugeLineArrivingInPiecesAndAnswersOnce) {
    Conversation c;
    std::string out;
    for (int i = 0; i < 1000; ++i) out += c.send(std::string(1000, 'A'));
    EXPECT_EQ(out, "");
    EXPECT_EQ(c.send("AAAA\r\nNOOP\r\n"), "500 5.5.6 Line too long\r\n250 2.0.0 Ok\r\n");
    ASSERT_EQ(c.rejections.size(), 1u);
    EXPECT_LE(c.rejections[0].command.size(), 200u);
}

TEST(ServerSession, SurvivesNulBytesAndBinaryGarbage) {
    Conversation c;
    std::string garbage;
    std::mt19937 random(42);
    for (int i = 0; i < 5000; ++i) garbage += static_cast<char>(random() % 256);
    c.send(garbage);
    c.send("\r\n");
    EXPECT_TRUE(c.session.closed() || contains(c.send("NOOP\r\n"), "250"));
    for (const auto& r : c.rejections) {
        for (char ch : r.command) EXPECT_FALSE(ch == '\r' || ch == '\n' || ch == '\0');
    }
}

TEST(ServerSession, AcceptsLfTerminatedCommands) {
    Conversation c;
    EXPECT_EQ(c.send("NOOP\n"), "250 2.0.0 Ok\r\n");
}

// ---- DATA ----

class DataSession : public ::testing::Test {
  protected:
    explicit DataSession(SessionSettings s = test_settings()) : c(s) {
        c.send("EHLO a.example\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\nDATA\r\n");
    }
    Conversation c;
};

TEST_F(DataSession, RejectsBareLfInData) {
    EXPECT_EQ(c.send("Subject: x\r\n\r\nline\nmore\r\n.\r\n"),
              "550 5.6.0 Bare CR or LF not allowed in message; use CRLF\r\n");
    EXPECT_TRUE(c.messages.empty());
    EXPECT_EQ(c.send("RCPT TO:<b@y.example>\r\n"), "503 5.5.1 Need MAIL command first\r\n");
}

TEST_F(DataSession, NeverLetsABareLineEndingSmuggleAMessage) {
    for (std::string_view fake_end : {"\n.\n", "\r.\r", "\r\n.\n", "\n.\r\n"}) {
        Conversation s;
        s.send("EHLO a.example\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\nDATA\r\n");
        std::string out = s.send("Subject: x\r\n\r\nhello" + std::string(fake_end) +
                                 "MAIL FROM:<evil@x.example>\r\nRCPT TO:<victim@y.example>\r\n"
                                 "DATA\r\nSubject: smuggled\r\n\r\n.\r\n");
        EXPECT_EQ(out, "550 5.6.0 Bare CR or LF not allowed in message; use CRLF\r\n")
            << ::testing::PrintToString(fake_end);
        EXPECT_TRUE(s.messages.empty());
        EXPECT_EQ(s.policy.senders, (std::vector<std::string>{"a@x.example"}));
    }
}

TEST(ServerSession, NormalizesBareLineEndingsIntoOneMessageWhenConfigured) {
    SessionSettings settings = test_settings();
    settings.normalize_bare_line_endings = true;
    Conversation c(settings);
    c.send("EHLO a.example\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\nDATA\r\n");
    EXPECT_EQ(c.send("A: b\r\n\r\nx\n.\nMAIL FROM:<evil@x>\r\n.\r\n"),
              "250 2.0.0 Ok: queued as Q1\r\n");
    ASSERT_EQ(c.messages.size(), 1u);
    EXPECT_EQ(c.messages[0].data, "A: b\r\n\r\nx\r\n.\r\nMAIL FROM:<evil@x>\r\n");
}

TEST_F(DataSession, KeepsReadingAnOversizedMessageThenRefusesIt) {
    std::string out;
    for (int i = 0; i < 300; ++i) out += c.send(std::string(98, 'x') + "\r\n");
    EXPECT_EQ(out, "");
    EXPECT_EQ(c.send(".\r\n"), "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
    EXPECT_EQ(c.send("NOOP\r\n"), "250 2.0.0 Ok\r\n");
}

TEST_F(DataSession, RefusesTextLinesOver1000OctetsAfterTheEnd) {
    EXPECT_EQ(c.send(std::string(1200, 'x') + "\r\n"), "");
    EXPECT_EQ(c.send("tail\r\n.\r\n"), "500 5.5.6 Line too long (over 1000 octets)\r\n");
    EXPECT_TRUE(c.messages.empty());
}

TEST_F(DataSession, RefusesMailLoopsByReceivedCount) {
    std::string headers;
    for (int i = 0; i < 4; ++i) headers += "Received: from hop" + std::to_string(i) + "\r\n";
    EXPECT_EQ(c.send(headers + "\r\nbody\r\n.\r\n"), "554 5.4.6 Too many hops (mail loop?)\r\n");
}

TEST_F(DataSession, CountsOnlyReceivedInTheHeaderSection) {
    std::string text = "Received: a\r\nReceived: b\r\nReceived: c\r\n\r\nReceived: body\r\n.\r\n";
    EXPECT_EQ(c.send(text), "250 2.0.0 Ok: queued as Q1\r\n");
}

// The text leaves the session as it arrives: nothing of a large message stays inside it.
TEST_F(DataSession, PassesTheTextOnInPiecesAsItArrives) {
    const std::string line = std::string(98, 'x') + "\r\n";
    std::string sent = "Subject: big\r\n\r\n";
    c.send(sent);
    for (int i = 0; i < 90; ++i) {
        c.send(line);
        sent += line;
        EXPECT_EQ(c.text, sent);
    }
    EXPECT_LE(c.largest_piece, line.size());
    EXPECT_EQ(c.send(".\r\n"), "250 2.0.0 Ok: queued as Q1\r\n");
    ASSERT_EQ(c.messages.size(), 1u);
    EXPECT_EQ(c.messages[0].data, sent);
    EXPECT_EQ(c.messages[0].size, sent.size());
    EXPECT_EQ(c.messages[0].header_size, std::string_view("Subject: big\r\n").size());
}

TEST_F(DataSession, StopsPassingTextOnOnceOversized) {
    const std::string line = std::string(98, 'x') + "\r\n";
    for (int i = 0; i < 300; ++i) c.send(line);
    EXPECT_LE(c.text.size(), 10000u);
    EXPECT_EQ(c.send(".\r\n"), "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
    EXPECT_EQ(c.discarded, 1);
    EXPECT_EQ(c.text, "");
}

TEST_F(DataSession, DiscardsARefusedTextBeforeTheNextTransactionBegins) {
    // Both transactions in one piece: the refused text must not run into the next one.
    EXPECT_EQ(c.send("a\nb\r\n.\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n"
                     "DATA\r\nSubject: 2\r\n\r\ntwo\r\n.\r\n"),
              "550 5.6.0 Bare CR or LF not allowed in message; use CRLF\r\n"
              "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
              "250 2.0.0 Ok: queued as Q1\r\n");
    EXPECT_EQ(c.discarded, 1);
    ASSERT_EQ(c.messages.size(), 1u);
    EXPECT_EQ(c.messages[0].data, "Subject: 2\r\n\r\ntwo\r\n");
}

TEST(ServerSession, RefusesAnOverlargeHeaderSection) {
    SessionSettings settings = test_settings();
    settings.max_header_size = 200;
    for (std::size_t fields : {10u, 11u}) {
        Conversation c(settings);
        c.send("EHLO c.example\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\nDATA\r\n");
        std::string headers;
        for (std::size_t i = 0; i < fields; ++i)
            headers += "X-Filler: " + std::string(8, 'f') + "\r\n";
        // 20 octets a field: 10 fit in 200, 11 do not.
        const std::string reply = c.send(headers + "\r\nbody\r\n.\r\n");
        if (fields * 20 > 200) {
            EXPECT_EQ(reply, "552 5.3.4 Message header section too large\r\n") << fields;
        } else {
            EXPECT_EQ(reply, "250 2.0.0 Ok: queued as Q1\r\n") << fields;
        }
    }
}

TEST_F(DataSession, UsesTheDataTimeoutWhileReadingData) {
    EXPECT_EQ(c.session.read_timeout(), std::chrono::seconds(600));
    c.send(".\r\n");
    EXPECT_EQ(c.session.read_timeout(), std::chrono::seconds(300));
}

// ---- timeouts and shutdown ----

TEST(ServerSession, SaysGoodbyeOnTimeoutAndShutdown) {
    Conversation c;
    c.session.timed_out();
    EXPECT_EQ(c.drain(), "421 4.4.2 mx.herald.test Error: timeout exceeded\r\n");
    EXPECT_TRUE(c.close_requested);
    Conversation d;
    d.session.shutting_down();
    EXPECT_EQ(d.drain(), "421 4.3.2 mx.herald.test Service shutting down\r\n");
    EXPECT_TRUE(d.session.closed());
}

// ---- BDAT (RFC 3030) ----

constexpr std::string_view kEnvelope =
    "EHLO a.example\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n";

TEST(ServerSession, TakesAMessageInChunksWithoutUnstuffingDots) {
    Conversation c;
    c.send(kEnvelope);
    EXPECT_EQ(c.send("BDAT 12\r\nSubject: x\r\n"), "250 2.0.0 12 octets received\r\n");
    // Pipelined, split anywhere: the octets are counted, and a dot is only a dot.
    EXPECT_EQ(c.send("BDAT 10 LA"), "");
    EXPECT_EQ(c.send("ST\r\n\r\n..a\r"), "");
    EXPECT_EQ(c.send("\n.\r\n"), "250 2.0.0 Ok: queued as Q1\r\n");
    ASSERT_EQ(c.messages.size(), 1u);
    EXPECT_EQ(c.messages[0].data, "Subject: x\r\n\r\n..a\r\n.\r\n");
    EXPECT_EQ(c.messages[0].size, 22u);
}

TEST(ServerSession, EndsALastChunkWithoutLineEndingWithOne) {
    Conversation c;
    c.send(kEnvelope);
    c.send("BDAT 10 LAST\r\nSubject: xNOOP\r\n");
    ASSERT_EQ(c.messages.size(), 1u);
    EXPECT_EQ(c.messages[0].data, "Subject: x\r\n");
    EXPECT_TRUE(c.transcript.ends_with("250 2.0.0 Ok\r\n"));  // the NOOP after the chunk
}

TEST(ServerSession, ReadsTheOctetsOfARefusedChunkAsTextNotCommands) {
    Conversation c;
    c.send("EHLO a.example\r\n");
    EXPECT_EQ(c.send("BDAT 16 LAST\r\nRSET\r\nQUIT\r\nxx\r\n"),
              "503 5.5.1 Need MAIL command first\r\n");
    EXPECT_FALSE(c.close_requested);
    EXPECT_TRUE(c.messages.empty());
}

// The smuggling defence holds for chunks as for DATA: a bare LF never reaches a next hop.
TEST(ServerSession, RefusesBareLineEndingsInChunks) {
    Conversation c;
    c.send(kEnvelope);
    EXPECT_EQ(c.send("BDAT 12 LAST\r\nA: b\r\n\nx\n.\nX"),
              "550 5.6.0 Bare CR or LF not allowed in message; use CRLF\r\n");
    EXPECT_TRUE(c.messages.empty());
    EXPECT_EQ(c.discarded, 1);
}

TEST(ServerSession, DropsTheChunksOnRsetAndRefusesDataMidTransaction) {
    Conversation c;
    c.send(kEnvelope);
    c.send("BDAT 3\r\nA: ");
    EXPECT_EQ(c.send("DATA\r\n"), "503 5.5.1 BDAT in progress; DATA not allowed\r\n");
    EXPECT_EQ(c.send("RCPT TO:<c@y.example>\r\n"),
              "503 5.5.1 BDAT in progress; RCPT not allowed\r\n");
    EXPECT_EQ(c.send("RSET\r\n"), "250 2.0.0 Ok\r\n");
    EXPECT_EQ(c.discarded, 1);
    EXPECT_EQ(c.send("BDAT x\r\n"), "501 5.5.4 Syntax: BDAT size [LAST]\r\n");
}

TEST(ServerSession, CountsAnOversizedChunkToItsEnd) {
    SessionSettings s = test_settings();
    s.max_message_size = 10;
    Conversation c(s);
    c.send(kEnvelope);
    EXPECT_EQ(c.send("BDAT 20 LAST\r\n" + std::string(18, 'x') + "\r\n"),
              "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
    EXPECT_EQ(c.send("NOOP\r\n"), "250 2.0.0 Ok\r\n");
}

// ---- STARTTLS ----

TEST(ServerSession, DiscardsInputPipelinedAfterStartTls) {
    SessionSettings s = test_settings();
    s.tls_available = true;
    Conversation c(s);
    c.hold_tls = true;
    c.send("EHLO a.example\r\n");
    EXPECT_EQ(c.send("STARTTLS\r\nMAIL FROM:<injected@x.example>\r\n"),
              "220 2.0.0 Ready to start TLS\r\n");
    EXPECT_EQ(c.send("RCPT TO:<also-injected@y.example>\r\n"), "");
    c.session.tls_started();
    EXPECT_EQ(c.drain(), "");
    EXPECT_TRUE(c.policy.senders.empty());
    // State is back to before EHLO (RFC 3207 4.2).
    EXPECT_EQ(c.send("MAIL FROM:<a@x.example>\r\n"), "503 5.5.1 Send HELO or EHLO first\r\n");
    EXPECT_TRUE(c.session.view().tls);
    c.send("EHLO a.example\r\n");
    EXPECT_EQ(c.send("STARTTLS\r\n"), "503 5.5.1 TLS already active\r\n");
}

TEST(ServerSession, RefusesStartTlsWhenNotAvailable) {
    Conversation c;
    EXPECT_EQ(c.send("STARTTLS\r\n"), "502 5.5.1 STARTTLS not available\r\n");
    EXPECT_EQ(c.tls_handshakes, 0);
}

// ---- AUTH ----

TEST(ServerSession, AuthenticatesWithPlainInitialResponse) {
    Conversation c(with_auth());
    c.send("EHLO a.example\r\n");
    EXPECT_EQ(c.send("AUTH PLAIN " + plain_credentials("alice", "secret") + "\r\n"),
              "235 2.7.0 Authentication successful\r\n");
    ASSERT_EQ(c.auth_requests.size(), 1u);
    EXPECT_EQ(c.auth_requests[0].user, "alice");
    EXPECT_EQ(c.auth_requests[0].password, "secret");
    EXPECT_EQ(c.session.view().auth_user, "alice");
    EXPECT_EQ(c.send("AUTH PLAIN\r\n"), "503 5.5.1 Already authenticated\r\n");
}

TEST(ServerSession, RefusesThrottledAuthWith454NamingTheUserButNotThePassword) {
    Conversation c(with_auth());
    c.throttle_auth = true;
    c.send("EHLO a.example\r\n");
    EXPECT_EQ(c.send("AUTH PLAIN " + plain_credentials("alice", "secret") + "\r\n"),
              "454 4.7.0 Temporary authentication failure\r\n");
    EXPECT_EQ(c.session.view().auth_user, "");
    ASSERT_EQ(c.rejections.size(), 1u);
    EXPECT_EQ(c.rejections[0].command, "AUTH PLAIN user=alice");
    EXPECT_FALSE(contains(c.rejections[0].command, "secret"));
    // The session goes on: the client may try again later, or send without AUTH.
    EXPECT_EQ(c.send("NOOP\r\n"), "250 2.0.0 Ok\r\n");
}

TEST(ServerSession, AuthenticatesWithPlainContinuation) {
    Conversation c(with_auth());
    c.send("EHLO a.example\r\n");
    EXPECT_EQ(c.send("AUTH PLAIN\r\n"), "334 \r\n");
    EXPECT_EQ(c.send(plain_credentials("alice", "secret") + "\r\n"),
              "235 2.7.0 Authentication successful\r\n");
}

TEST(ServerSession, AuthenticatesWithLogin) {
    Conversation c(with_auth());
    c.send("EHLO a.example\r\n");
    EXPECT_EQ(c.send("AUTH LOGIN\r\n"), "334 VXNlcm5hbWU6\r\n");
    EXPECT_EQ(c.send(encode_base64("alice") + "\r\n"), "334 UGFzc3dvcmQ6\r\n");
    EXPECT_EQ(c.send(encode_base64("secret") + "\r\n"), "235 2.7.0 Authentication successful\r\n");
    Conversation initial(with_auth());
    initial.send("EHLO a.example\r\n");
    EXPECT_EQ(initial.send("auth login " + encode_base64("alice") + "\r\n"),
              "334 UGFzc3dvcmQ6\r\n");
}

TEST(ServerSession, RefusesWrongPasswordsWithoutLoggingThem) {
    Conversation c(with_auth());
    c.send("EHLO a.example\r\n");
    const std::string creds = plain_credentials("alice", "hunter2");
    EXPECT_EQ(c.send("AUTH PLAIN " + creds + "\r\n"),
              "535 5.7.8 Authentication credentials invalid\r\n");
    c.send("AUTH LOGIN\r\n" + encode_base64("alice") + "\r\n" + encode_base64("hunter2") + "\r\n");
    ASSERT_EQ(c.rejections.size(), 2u);
    for (const auto& r : c.rejections) {
        EXPECT_FALSE(contains(r.command, "hunter2"));
        EXPECT_FALSE(contains(r.command, creds));
        EXPECT_FALSE(contains(r.command, encode_base64("hunter2")));
    }
    EXPECT_EQ(c.rejections[0].command, "AUTH PLAIN");
    EXPECT_EQ(c.rejections[1].command, "AUTH LOGIN");
    EXPECT_EQ(c.session.view().auth_user, "");
}

TEST(ServerSession, ElidesCredentialsFromOverlongAuthLines) {
    Conversation c(with_auth());
    c.send("EHLO a.example\r\n");
    const std::string secret = encode_base64(std::string(13000, 's'));
    EXPECT_EQ(c.send("AUTH PLAIN " + secret + "\r\n"), "500 5.5.6 Line too long\r\n");
    EXPECT_EQ(c.send("AUTH LOGIN\r\n" + secret + "\r\n"),
              "334 VXNlcm5hbWU6\r\n500 5.5.6 Line too long\r\n");
    ASSERT_EQ(c.rejections.size(), 2u);
    EXPECT_EQ(c.rejections[0].command, "AUTH PLAIN");
    EXPECT_EQ(c.rejections[1].command, "AUTH LOGIN");
    EXPECT_TRUE(c.auth_requests.empty());
}

TEST(ServerSession, CancelsAuthOnStar) {
    Conversation c(with_auth());
    c.send("EHLO a.example\r\nAUTH LOGIN\r\n");
    EXPECT_EQ(c.send("*\r\n"), "501 5.0.0 Authentication cancelled\r\n");
    EXPECT_EQ(c.send("NOOP\r\n"), "250 2.0.0 Ok\r\n");
}

TEST(ServerSession, RejectsMalformedAuthResponses) {
    Conversation c(with_auth());
    c.send("EHLO a.example\r\n");
    EXPECT_EQ(c.send("AUTH PLAIN not*base64\r\n"), "501 5.5.2 Invalid base64 data\r\n");
    EXPECT_EQ(c.send("AUTH PLAIN " + encode_base64("no-nuls") + "\r\n"),
              "535 5.7.8 Authentication credentials invalid\r\n");
    std::string other_identity = encode_base64(std::string("bob\0alice\0secret", 16));
    EXPECT_EQ(c.send("AUTH PLAIN " + other_identity + "\r\n"),
              "535 5.7.8 Authentication credentials invalid\r\n");
    EXPECT_EQ(c.send("AUTH CRAM-MD5\r\n"), "504 5.5.4 Unrecognized authentication mechanism\r\n");
    EXPECT_TRUE(c.auth_requests.empty());
}

TEST(ServerSession, RequiresEncryptionForAuthUnlessAllowed) {
    SessionSettings s = test_settings();
    s.auth_available = true;
    Conversation c(s);
    c.send("EHLO a.example\r\n");
    EXPECT_EQ(c.send("AUTH PLAIN " + plain_credentials("alice", "secret") + "\r\n"),
              "538 5.7.11 Encryption required for requested authentication mechanism\r\n");
    EXPECT_TRUE(c.auth_requests.empty());
}

TEST(ServerSession, KeepsCredentialsPipelinedAfterARefusedAuthOutOfTheRejectlog) {
    SessionSettings s = test_settings();
    s.auth_available = true;
    Conversation c(s);
    c.send("EHLO a.example\r\n");
    c.send("AUTH LOGIN\r\n" + encode_base64("alice") + "\r\n" + encode_base64("hunter2") + "\r\n");
    ASSERT_EQ(c.rejections.size(), 3u);
    for (const auto& r : c.rejections) {
        EXPECT_FALSE(contains(r.command, encode_base64("hunter2")));
        EXPECT_FALSE(contains(r.command, encode_base64("alice")));
    }
}

TEST(ServerSession, RefusesAuthWhenNoAccountsOrDuringATransaction) {
    Conversation none;
    none.send("EHLO a.example\r\n");
    EXPECT_EQ(none.send("AUTH PLAIN\r\n"), "503 5.5.1 AUTH not available\r\n");
    Conversation c(with_auth());
    c.send("EHLO a.example\r\nMAIL FROM:<a@x.example>\r\n");
    EXPECT_EQ(c.send("AUTH PLAIN\r\n"), "503 5.5.1 AUTH not allowed during a mail transaction\r\n");
}

TEST(ServerSession, AcceptsLongAuthLinesUpToRfc4954Limit) {
    Conversation c(with_auth());
    c.send("EHLO a.example\r\n");
    const std::string long_password(2000, 'p');
    EXPECT_EQ(c.send("AUTH PLAIN " + plain_credentials("alice", long_password) + "\r\n"),
              "535 5.7.8 Authentication credentials invalid\r\n");
    ASSERT_EQ(c.auth_requests.size(), 1u);
    EXPECT_EQ(c.auth_requests[0].password, long_password);
}

TEST(ServerSession, WaitsForTheAuthVerdictBeforeReadingOn) {
    Conversation c(with_auth());
    c.send("EHLO a.example\r\n");
    c.session.receive("AUTH PLAIN " + plain_credentials("alice", "secret") +
                      "\r\nMAIL FROM:<a@x.example>\r\n");
    auto event = c.session.take_event();
    ASSERT_TRUE(event && std::holds_alternative<AuthRequest>(*event));
    EXPECT_FALSE(c.session.take_event());
    EXPECT_TRUE(c.policy.senders.empty());
    c.session.auth_result(true);
    EXPECT_EQ(c.session.take_output(), "235 2.7.0 Authentication successful\r\n250 2.1.0 Ok\r\n");
}

// ---- pipelining (RFC 2920) ----

const std::string kPipelined =
    "EHLO client.example\r\n"
    "MAIL FROM:<a@x.example> SIZE=100\r\n"
    "RCPT TO:<b@y.example>\r\n"
    "RCPT TO:<v@elsewhere.example>\r\n"
    "RCPT TO:<c@y.example>\r\n"
    "DATA\r\n"
    "Subject: one\r\n\r\n..stuffed\r\nbare\nlf\r\n.\r\n"
    "MAIL FROM:<>\r\n"
    "RCPT TO:<d@y.example>\r\n"
    "DATA\r\n"
    "Subject: two\r\n\r\nbody\r\n.\r\n"
    "BOGUS\r\n"
    "NOOP\r\n"
    "QUIT\r\n";

struct Outcome {
    std::string transcript;
    std::vector<std::string> messages;
};

Outcome run_in_chunks(const std::vector<std::size_t>& cuts) {
    Conversation c;
    std::size_t from = 0;
    for (std::size_t cut : cuts) {
        c.send(std::string_view(kPipelined).substr(from, cut - from));
        from = cut;
    }
    c.send(std::string_view(kPipelined).substr(from));
    Outcome o{c.transcript, {}};
    for (auto& m : c.messages) o.messages.push_back(m.data);
    return o;
}

TEST(ServerSession, AnswersAPipelinedGroupInOrder) {
    Outcome whole = run_in_chunks({});
    EXPECT_EQ(whole.transcript,
              "250-mx.herald.test\r\n250-PIPELINING\r\n250-SIZE 10000\r\n250-8BITMIME\r\n"
              "250-ENHANCEDSTATUSCODES\r\n250-SMTPUTF8\r\n250-CHUNKING\r\n250 DSN\r\n"
              "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n554 5.7.1 Relay access denied\r\n250 2.1.5 Ok\r\n"
              "354 End data with <CR><LF>.<CR><LF>\r\n"
              "550 5.6.0 Bare CR or LF not allowed in message; use CRLF\r\n"
              "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
              "250 2.0.0 Ok: queued as Q1\r\n"
              "500 5.5.2 Command not recognized\r\n250 2.0.0 Ok\r\n"
              "221 2.0.0 mx.herald.test closing connection\r\n");
    EXPECT_EQ(whole.messages, (std::vector<std::string>{"Subject: two\r\n\r\nbody\r\n"}));
}

TEST(ServerSession, GivesTheSameRepliesForEverySplitIntoTwo) {
    const Outcome whole = run_in_chunks({});
    for (std::size_t cut = 0; cut <= kPipelined.size(); ++cut) {
        Outcome split = run_in_chunks({cut});
        ASSERT_EQ(split.transcript, whole.transcript) << "cut at " << cut;
        ASSERT_EQ(split.messages, whole.messages) << "cut at " << cut;
    }
}

TEST(ServerSession, GivesTheSameRepliesByteByByte) {
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < kPipelined.size(); ++i) cuts.push_back(i);
    const Outcome whole = run_in_chunks({});
    const Outcome bytes = run_in_chunks(cuts);
    EXPECT_EQ(bytes.transcript, whole.transcript);
    EXPECT_EQ(bytes.messages, whole.messages);
}

TEST(ServerSession, GivesTheSameRepliesInRandomChunks) {
    const Outcome whole = run_in_chunks({});
    std::mt19937 random(7);
    for (int round = 0; round < 200; ++round) {
        std::vector<std::size_t> cuts;
        std::size_t at = 0;
        while (true) {
            at += 1 + random() % 40;
            if (at >= kPipelined.size()) break;
            cuts.push_back(at);
        }
        Outcome chunked = run_in_chunks(cuts);
        ASSERT_EQ(chunked.transcript, whole.transcript) << "round " << round;
        ASSERT_EQ(chunked.messages, whole.messages) << "round " << round;
    }
}

// Random soups of commands, line endings and hostile bytes: replies and accepted messages
// must not depend on how the bytes were split, and nothing may crash.
TEST(ServerSession, GivesSplitIndependentRepliesForRandomInput) {
    const std::vector<std::string> tokens{"EHLO a.example\r\n",
                                          "MAIL FROM:<a@x.example>\r\n",
                                          "RCPT TO:<b@y.example>\r\n",
                                          "DATA\r\n",
                                          ".\r\n",
                                          "\r\n",
                                          "\n",
                                          "\r",
                                          ".",
                                          "..",
                                          "text",
                                          std::string(1, '\0'),
                                          "\xff\xfe",
                                          "RSET\r\n",
                                          "Received: x\r\n",
                                          std::string(600, 'z'),
                                          "NOOP\r\n"};
    std::mt19937 random(1234);
    SessionSettings settings = test_settings();
    settings.max_errors = 1000;
    for (int round = 0; round < 100; ++round) {
        std::string input;
        for (int i = 0; i < 60; ++i) input += tokens[random() % tokens.size()];
        Conversation whole(settings);
        whole.send(input);
        Conversation chunked(settings);
        for (std::size_t at = 0; at < input.size();) {
            const std::size_t n = 1 + random() % 30;
            chunked.send(std::string_view(input).substr(at, n));
            at += n;
        }
        ASSERT_EQ(chunked.transcript, whole.transcript) << "round " << round;
        ASSERT_EQ(chunked.messages.size(), whole.messages.size());
        for (std::size_t i = 0; i < whole.messages.size(); ++i) {
            EXPECT_EQ(chunked.messages[i].data, whole.messages[i].data);
        }
    }
}

}  // namespace
}  // namespace herald::smtp

namespace herald::smtp {
namespace {

using testing::Conversation;

TEST(ServerSession, APolicyQueryHoldsTheRcptReplyUntilAnswered) {
    Conversation c;
    c.hold_queries = true;
    c.send("EHLO client.example\r\n");
    const std::string out = c.send(
        "MAIL FROM:<s@client.example>\r\nRCPT TO:<a@shared.example>\r\n"
        "RCPT TO:<b@x.example>\r\nDATA\r\n");
    // The pipelined commands after the RCPT wait, in order, for the answer.
    EXPECT_EQ(out, "250 2.1.0 Ok\r\n");
    EXPECT_EQ(c.policy_queries, 1);
    c.answer_query();
    EXPECT_EQ(c.drain(), "250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n");
}

TEST(ServerSession, AQueryAnsweredWithARefusalRefusesThatRecipientAlone) {
    Conversation c;
    c.send("EHLO client.example\r\n");
    const std::string out = c.send(
        "MAIL FROM:<s@client.example>\r\nRCPT TO:<full@shared.example>\r\n"
        "RCPT TO:<a@shared.example>\r\nRCPT TO:<b@x.example>\r\nDATA\r\nhi\r\n.\r\n");
    EXPECT_EQ(out,
              "250 2.1.0 Ok\r\n451 4.7.1 Rate limit reached\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
              "354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued as Q1\r\n");
    ASSERT_EQ(c.messages.size(), 1u);
    EXPECT_EQ(c.messages[0].envelope.recipients.size(), 2u);
    ASSERT_EQ(c.rejections.size(), 1u);
    EXPECT_EQ(c.rejections[0].command, "RCPT TO:<full@shared.example>");
}

}  // namespace
}  // namespace herald::smtp
