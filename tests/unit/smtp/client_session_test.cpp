#include "smtp/client_session.hpp"

#include <gtest/gtest.h>

#include <random>

#include "smtp/base64.hpp"

namespace herald::smtp {
namespace {

constexpr std::string_view kMessage = "Subject: hi\r\n\r\nhello\r\n";
constexpr std::string_view kEhloPlain = "250-mx.test\r\n250 8BITMIME\r\n";
constexpr std::string_view kEhloPipelining =
    "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 8BITMIME\r\n";

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

ClientSettings settings(ClientSettings::Tls tls = ClientSettings::Tls::opportunistic) {
    ClientSettings s;
    s.helo = "client.example";
    s.tls = tls;
    return s;
}

OutboundMessage message(std::vector<std::string> recipients = {"b@y.example"},
                        std::string_view data = kMessage) {
    OutboundMessage m;
    m.sender = "a@x.example";
    m.recipients = std::move(recipients);
    m.data = data;
    return m;
}

// A ClientSession driven as the transport drives it, against a server played by the test:
// each reply() returns what the client wrote in answer.
class Script {
  public:
    explicit Script(ClientSettings s = settings(), OutboundMessage m = message())
        : session(std::move(s), std::move(m)) {}

    std::string reply(std::string_view bytes) {
        session.receive(bytes);
        return drain();
    }

    std::string drain() {
        std::string out;
        while (true) {
            out += session.take_output();
            auto event = session.take_event();
            if (!event) break;
            if (std::holds_alternative<StartTlsNeeded>(*event)) {
                ++tls_handshakes;
                if (!hold_tls) session.tls_started();
            } else if (auto* done = std::get_if<TransactionDone>(&*event)) {
                results.push_back(std::move(done->result));
                if (quit_when_done) session.quit();
            } else {
                ++closed_events;
            }
        }
        transcript += out;
        return out;
    }

    // The server's side of the first message (`server`, up to its last 250), the connection
    // kept open for the next: the session is idle after it.
    void keep_open_after(std::string_view server) {
        quit_when_done = false;
        reply(server);
    }

    const TransactionResult& result() const { return results.at(0); }
    const RecipientReply& recipient(std::size_t i) const { return result().recipients.at(i); }

    ClientSession session;
    std::vector<TransactionResult> results;
    std::string transcript;
    int tls_handshakes = 0;
    int closed_events = 0;
    bool hold_tls = false;
    bool quit_when_done = true;
};

// The server side of a whole plain, unpipelined conversation for one recipient.
constexpr std::string_view kPlainServer =
    "220 mx.test ESMTP\r\n"
    "250-mx.test\r\n250 8BITMIME\r\n"
    "250 2.1.0 Ok\r\n"
    "250 2.1.5 Ok\r\n"
    "354 End data with <CR><LF>.<CR><LF>\r\n"
    "250 2.0.0 Ok: queued as ABC\r\n"
    "221 2.0.0 Bye\r\n";
constexpr std::string_view kPlainFirstMessage = kPlainServer.substr(0, kPlainServer.find("221"));
// The same with PIPELINING: MAIL, RCPT and DATA answered together.
constexpr std::string_view kPipelinedFirstMessage =
    "220 mx.test\r\n250-mx.test\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 8BITMIME\r\n"
    "250 Ok\r\n250 Ok\r\n354 go\r\n250 Ok\r\n";

constexpr std::string_view kPlainClient =
    "EHLO client.example\r\n"
    "MAIL FROM:<a@x.example>\r\n"
    "RCPT TO:<b@y.example>\r\n"
    "DATA\r\n"
    "Subject: hi\r\n\r\nhello\r\n.\r\n"
    "QUIT\r\n";

// ---- the plain conversation ----

TEST(ClientSession, SendsEhloWithTheConfiguredNameAfterTheGreeting) {
    Script s;
    EXPECT_EQ(s.drain(), "");
    EXPECT_EQ(s.session.waiting_for(), ClientWait::greeting);
    EXPECT_EQ(s.reply("220 mx.test ESMTP\r\n"), "EHLO client.example\r\n");
}

TEST(ClientSession, WaitsForEachReplyWhenThereIsNoPipelining) {
    Script s;
    s.reply("220 mx.test ESMTP\r\n");
    EXPECT_EQ(s.reply(kEhloPlain), "MAIL FROM:<a@x.example>\r\n");
    EXPECT_EQ(s.session.waiting_for(), ClientWait::mail);
    EXPECT_EQ(s.reply("250 2.1.0 Ok\r\n"), "RCPT TO:<b@y.example>\r\n");
    EXPECT_EQ(s.session.waiting_for(), ClientWait::rcpt);
    EXPECT_EQ(s.reply("250 2.1.5 Ok\r\n"), "DATA\r\n");
    EXPECT_EQ(s.session.waiting_for(), ClientWait::data_init);
    EXPECT_EQ(s.reply("354 go ahead\r\n"), "Subject: hi\r\n\r\nhello\r\n.\r\n");
    EXPECT_EQ(s.session.waiting_for(), ClientWait::final_dot);
    EXPECT_EQ(s.reply("250 2.0.0 Ok: queued as ABC\r\n"), "QUIT\r\n");
    EXPECT_EQ(s.reply("221 2.0.0 Bye\r\n"), "");
    EXPECT_TRUE(s.session.closed());
    EXPECT_EQ(s.closed_events, 1);
    ASSERT_EQ(s.results.size(), 1u);
    EXPECT_EQ(s.recipient(0).recipient, "b@y.example");
    EXPECT_EQ(s.recipient(0).status, RecipientStatus::delivered);
    EXPECT_EQ(s.recipient(0).reply, "250 2.0.0 Ok: queued as ABC");
    EXPECT_FALSE(s.result().try_next_host);
}

TEST(ClientSession, AcceptsRepliesSplitAtEveryByte) {
    Script s;
    for (char c : kPlainServer) s.reply(std::string_view(&c, 1));
    EXPECT_EQ(s.transcript, kPlainClient);
    ASSERT_EQ(s.results.size(), 1u);
    EXPECT_EQ(s.recipient(0).status, RecipientStatus::delivered);
    EXPECT_TRUE(s.session.closed());
}

TEST(ClientSession, AcceptsRepliesThatArriveAllAtOnce) {
    Script s;
    s.reply(kPlainServer);
    EXPECT_EQ(s.transcript, kPlainClient);
    EXPECT_EQ(s.recipient(0).status, RecipientStatus::delivered);
}

TEST(ClientSession, AcceptsBareLfAfterReplies) {
    Script s;
    s.reply("220 mx.test\n250 mx.test\n250 ok\n250 ok\n354 go\n250 queued\n221 bye\n");
    EXPECT_EQ(s.transcript, kPlainClient);
    EXPECT_EQ(s.recipient(0).reply, "250 queued");
}

TEST(ClientSession, KeepsEveryLineOfAMultiLineReply) {
    Script s;
    s.reply("220-mx.test ESMTP\r\n220 no UCE\r\n");
    s.reply(kEhloPlain);
    s.reply("250 2.1.0 Ok\r\n");
    s.reply("550-5.1.1 No such user\r\n550-5.1.1 see https://help.test\r\n550 5.1.1 really\r\n");
    EXPECT_EQ(s.recipient(0).status, RecipientStatus::failed);
    EXPECT_EQ(s.recipient(0).reply, "550 5.1.1 No such user see https://help.test really");
}

// ---- PIPELINING (RFC 2920) ----

TEST(ClientSession, PipelinesMailRcptAndDataInOneWrite) {
    Script s(settings(), message({"b@y.example", "c@y.example"}));
    s.reply("220 mx.test\r\n");
    EXPECT_EQ(s.reply(kEhloPipelining),
              "MAIL FROM:<a@x.example> SIZE=22\r\nRCPT TO:<b@y.example>\r\n"
              "RCPT TO:<c@y.example>\r\nDATA\r\n");
    EXPECT_EQ(s.reply("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 go\r\n"),
              "Subject: hi\r\n\r\nhello\r\n.\r\n");
    EXPECT_EQ(s.reply("250 2.0.0 Ok\r\n"), "QUIT\r\n");
    ASSERT_EQ(s.result().recipients.size(), 2u);
    EXPECT_EQ(s.recipient(0).status, RecipientStatus::delivered);
    EXPECT_EQ(s.recipient(1).status, RecipientStatus::delivered);
}

// ---- CHUNKING (RFC 3030) ----

constexpr std::string_view kEhloChunking =
    "250-mx.test\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 8BITMIME\r\n";

TEST(ClientSession, SendsTheTextInOneBdatChunkAfterTheRcptReplies) {
    const std::string_view text = "Subject: hi\r\n\r\n.\r\n..x\r\n";
    Script s(settings(), message({"b@y.example", "c@y.example"}, text));
    s.reply("220 mx.test\r\n");
    EXPECT_EQ(s.reply(kEhloChunking),
              "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\nRCPT TO:<c@y.example>\r\n");
    EXPECT_EQ(s.reply("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"), "");
    // As it is: no dot-stuffing, no end mark.
    EXPECT_EQ(s.reply("550 5.1.1 No such user\r\n"),
              "BDAT 23 LAST\r\nSubject: hi\r\n\r\n.\r\n..x\r\n");
    EXPECT_EQ(s.reply("250 2.0.0 Ok: queued\r\n"), "QUIT\r\n");
    EXPECT_EQ(s.recipient(0).status, RecipientStatus::delivered);
    EXPECT_EQ(s.recipient(1).status, RecipientStatus::failed);
}

TEST(ClientSession, SendsNoChunkWhenEveryRecipientOrTheSenderIsRefused) {
    Script refused(settings(), message());
    refused.reply("220 mx.test\r\n");
    refused.reply(kEhloChunking);
    EXPECT_EQ(refused.reply("250 2.1.0 Ok\r\n550 5.1.1 No such user\r\n"), "QUIT\r\n");
    EXPECT_EQ(refused.recipient(0).status, RecipientStatus::failed);

    Script sender(settings(), message());
    sender.reply("220 mx.test\r\n");
    sender.reply(kEhloChunking);
    EXPECT_EQ(sender.reply("451 4.7.1 Try later\r\n503 5.5.1 No sender\r\n"), "QUIT\r\n");
    EXPECT_EQ(sender.recipient(0).status, RecipientStatus::deferred);
    EXPECT_TRUE(sender.result().try_next_host);
}

TEST(ClientSession, ChunksWithoutPipeliningToo) {
    Script s(settings(), message());
    s.reply("220 mx.test\r\n");
    EXPECT_EQ(s.reply("250-mx.test\r\n250 CHUNKING\r\n"), "MAIL FROM:<a@x.example>\r\n");
    EXPECT_EQ(s.reply("250 2.1.0 Ok\r\n"), "RCPT TO:<b@y.example>\r\n");
    EXPECT_EQ(s.reply("250 2.1.5 Ok\r\n"), "BDAT 22 LAST\r\nSubject: hi\r\n\r\nhello\r\n");
    EXPECT_EQ(s.reply("554 5.7.1 Spam\r\n"), "QUIT\r\n");
    EXPECT_EQ(s.recipient(0).status, RecipientStatus::failed);
}

TEST(ClientSession, ReportsEachRecipientFromItsOwnRcptReply) {
    Script s(settings(), message({"ok@y.example", "later@y.example", "gone@y.example"}));
    s.reply("220 mx.test\r\n");
    s.reply(kEhloPipelining);
    s.reply(
        "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n450 4.2.1 Mailbox busy\r\n550 5.1.1 No such user\r\n"
        "354 go\r\n");
    s.reply("250 2.0.0 Ok: queued\r\n");
    EXPECT_EQ(s.recipient(0).status, RecipientStatus::delivered);
    EXPECT_EQ(s.recipient(0).reply, "250 2.0.0 Ok: queued");
    EXPECT_EQ(s.recipient(1).status, RecipientStatus::deferred);
    EXPECT_EQ(s.recipient(1).reply, "450 4.2.1 Mailbox busy");
    EXPECT_EQ(s.recipient(2).status, RecipientStatus::failed);
    EXPECT_EQ(s.recipient(2).reply, "550 5.1.1 No such user");
    EXPECT_FALSE(s.result().try_next_host);
}

TEST(ClientSession, AppliesTheDataReplyOnlyToAcceptedRecipients) {
    Script s(settings(), message({"ok@y.example", "gone@y.example"}));
    s.reply("220 mx.test\r\n");
    s.reply(kEhloPipelining);
    s.reply("250 Ok\r\n250 Ok\r\n550 5.1.1 No such user\r\n354 go\r\n");
    s.reply("554 5.7.1 Spam\r\n");
    EXPECT_EQ(s.recipient(0).status, RecipientStatus::failed);
    EXPECT_EQ(s.recipient(0).reply, "554 5.7.1 Spam");
    EXPECT_EQ(s.recipient(1).reply, "550 5.1.1 No such user");
}

TEST(ClientSession, EndsAnEmptyMessageWhenDataIsAcceptedAfterEveryRecipientFailed) {
    Script s;
    s.reply("220 mx.test\r\n");
    s.reply(kEhloPipelining);
    EXPECT_EQ(s.reply("250 Ok\r\n550 5.1.1 No such user\r\n354 go\r\n"), ".\r\n");
    EXPECT_EQ(s.reply("554 5.5.1 No valid recipients\r\n"), "QUIT\r\n");
    EXPECT_EQ(s.recipient(0).status, RecipientStatus::failed);
    EXPECT_EQ(s.recipient(0).reply, "550 5.1.1 No such user");
}

TEST(ClientSession, SendsNoDataWhenEveryRecipientFailedWithoutPipelining) {
    Script s;
    s.reply("220 mx.test\r\n");
    s.reply(kEhloPlain);
    s.reply("250 Ok\r\n");
    EXPECT_EQ(s.reply("550 5.1.1 No such user\r\n"), "QUIT\r\n");
    EXPECT_EQ(s.recipient(0).status, RecipientStatus::failed);
}

TEST(ClientSession, AppliesARefusedSenderToEveryRecipientAndIgnoresTheRcptReplies) {
    Script s(settings(), message({"b@y.example", "c@y.example"}));
    s.reply("220 mx.test\r\n");
    s.reply(kEhloPipelining);
    EXPECT_EQ(s.reply("553 5.7.1 Sender refused\r\n503 5.5.1 Need MAIL\r\n503 5.5.1 Need MAIL\r\n"
                      "503 5.5.1 Need MAIL\r\n"),
              "QUIT\r\n");
    for (const auto& r : s.result().recipients) {
        EXPECT_EQ(r.status, RecipientStatus::failed);
        EXPECT_EQ(r.reply, "553 5.7.1 Sender refused");
    }
    EXPECT_FALSE(s.result().try_next_host);
}

TEST(ClientSession, LetsTheNextHostTryAfterATemporarySenderRefusal) {
    Script s;
    s.reply("220 mx.test\r\n");
    s.reply(kEhloPlain);
    s.reply("451 4.3.0 Try later\r\n");
    EXPECT_EQ(s.recipient(0).status, RecipientStatus::deferred);
    EXPECT_TRUE(s.result().try_next_host);
}

// ---- failures of the connection ----

TEST(ClientSession, DefersEveryUndecidedRecipientOn421MidTransaction) {
    Script s(settings(), message({"gone@y.example", "ok@y.example", "c@y.example"}));
    s.reply("220 mx.test\r\n");
    s.reply(kEhloPipelining);
    EXPECT_EQ(s.reply("250 Ok\r\n550 5.1.1 No such user\r\n250 Ok\r\n"
                      "421 4.3.2 Shutting down\r\n"),
              "");
    EXPECT_TRUE(s.session.closed());
    EXPECT_EQ(s.recipient(0).status, RecipientStatus::failed);
    EXPECT_EQ(s.recipient(1).status, RecipientStatus::deferred);
    EXPECT_EQ(s.recipient(1).reply, "421 4.3.2 Shutting down");
    EXPECT_EQ(s.recipient(2).reply, "421 4.3.2 Shutting down");
    EXPECT_TRUE(s.result().try_next_host);
}

TEST(ClientSession, DefersOnConnectionLossAndTriesTheNextHostBeforeTheFinalDot) {
    Script s;
    s.reply("220 mx.test\r\n");
    s.reply(kEhloPlain);
    s.reply("250 Ok\r\n");
    s.session.connection_lost("reset by peer");
    s.drain();
    EXPECT_TRUE(s.session.closed());
    EXPECT_EQ(s.recipient(0).status, RecipientStatus::deferred);
    EXPECT_EQ(s.recipient(0).reply,
              "lost connection (reset by peer) while waiting for the reply to RCPT TO");
    EXPECT_TRUE(s.result().try_next_host);
}

TEST(ClientSession, DoesNotTryAnotherHostWhenTheConnectionIsLostAfterTheFinalDot) {
    Script s;
    s.reply("220 mx.test\r\n");
    s.reply(kEhloPlain);
    s.reply("250 Ok\r\n250 Ok\r\n354 go\r\n");
    s.session.timed_out();
    s.drain();
    EXPECT_EQ(s.recipient(0).status, RecipientStatus::deferred);
    EXPECT_EQ(s.recipient(0).reply, "timed out while waiting for the reply to the end of data");
    EXPECT_FALSE(s.result().try_next_host);
}

TEST(ClientSession, TriesTheNextHostAfterATemporaryGreeting) {
    Script s;
    EXPECT_EQ(s.reply("450 4.3.2 Too busy\r\n"), "QUIT\r\n");
    EXPECT_EQ(s.recipient(0).status, RecipientStatus::deferred);
    EXPECT_EQ(s.recipient(0).reply, "greeting: 450 4.3.2 Too busy");
    EXPECT_TRUE(s.result().try_next_host);
    s.reply("221 Bye\r\n");
    EXPECT_TRUE(s.session.closed());
}

TEST(ClientSession, TreatsA421GreetingAsTryNextHost) {
    Script s;
    EXPECT_EQ(s.reply("421 mx.test busy\r\n"), "");
    EXPECT_TRUE(s.session.closed());
    EXPECT_TRUE(s.result().try_next_host);
}

TEST(ClientSession, ClosesOnAMalformedReply) {
    Script s;
    s.reply("220 mx.test\r\n");
    EXPECT_EQ(s.reply("hello there\r\n"), "");
    EXPECT_TRUE(s.session.closed());
    EXPECT_EQ(s.recipient(0).status, RecipientStatus::deferred);
    EXPECT_EQ(s.recipient(0).reply, "malformed reply from the server");
}

TEST(ClientSession, ClosesOnAReplyLineLongerThanAnyServerSends) {
    Script s;
    s.reply("220 mx.test\r\n");
    s.reply("250-" + std::string(10000, 'x'));
    EXPECT_TRUE(s.session.closed());
}

TEST(ClientSession, ClosesOnAReplyWithEndlessContinuationLines) {
    Script s;
    s.reply("220 mx.test\r\n");
    for (int i = 0; i < 200 && !s.session.closed(); ++i) s.reply("250-x\r\n");
    EXPECT_TRUE(s.session.closed());
}

TEST(ClientSession, ClosesOnAnUnexpectedReply) {
    Script s;
    s.reply("220 mx.test\r\n");
    s.reply(kEhloPlain);
    s.reply("250 Ok\r\n250 Ok\r\n354 go\r\n250 Ok\r\n");
    EXPECT_EQ(s.reply("250 what\r\n"), "");  // after QUIT 221 was expected: 250 ends it
    EXPECT_TRUE(s.session.closed());
    EXPECT_EQ(s.recipient(0).status, RecipientStatus::delivered);
}

TEST(ClientSession, NeverCrashesOnRandomServerBytes) {
    std::mt19937 rng(42);
    for (int round = 0; round < 300; ++round) {
        Script s(settings(), message({"b@y.example", "c@y.example"}));
        s.reply("220 mx.test\r\n");
        std::string noise;
        const std::string alphabet = "0123456789- \r\n.25PIPELINGSTARTTLSAUTH";
        for (int i = 0; i < 200; ++i) noise += alphabet[rng() % alphabet.size()];
        s.reply(noise);
        s.session.connection_lost();
        s.drain();
        EXPECT_TRUE(s.session.closed());
        ASSERT_EQ(s.results.size(), 1u);
        EXPECT_EQ(s.result().recipients.size(), 2u);
    }
}

// ---- EHLO and HELO ----

TEST(ClientSession, FallsBackToHeloWhenEhloIsRefused) {
    Script s;
    s.reply("220 mx.test\r\n");
    EXPECT_EQ(s.reply("502 5.5.2 Command not recognized\r\n"), "HELO client.example\r\n");
    EXPECT_EQ(s.reply("250 mx.test\r\n"), "MAIL FROM:<a@x.example>\r\n");
}

TEST(ClientSession, DefersWhenHeloIsRefusedToo) {
    Script s;
    s.reply("220 mx.test\r\n");
    s.reply("500 what\r\n");
    EXPECT_EQ(s.reply("550 go away\r\n"), "QUIT\r\n");
    EXPECT_EQ(s.recipient(0).reply, "HELO refused: 550 go away");
    EXPECT_TRUE(s.result().try_next_host);
}

TEST(ClientSession, UsesNoExtensionsAfterHelo) {
    OutboundMessage m = message();
    m.body_8bit = true;
    Script s(settings(), m);
    s.reply("220 mx.test\r\n");
    s.reply("500 what\r\n");
    EXPECT_EQ(s.reply("250 mx.test\r\n"), "MAIL FROM:<a@x.example>\r\n");
}

// ---- SIZE, 8BITMIME, SMTPUTF8 ----

TEST(ClientSession, RefusesUpFrontAMessageLargerThanTheServerTakes) {
    std::string big(2000, 'x');
    Script s(settings(), message({"b@y.example"}, big));
    s.reply("220 mx.test\r\n");
    EXPECT_EQ(s.reply(kEhloPipelining), "QUIT\r\n");
    EXPECT_EQ(s.recipient(0).status, RecipientStatus::failed);
    EXPECT_TRUE(s.recipient(0).reply.starts_with("552 5.3.4 "));
    EXPECT_FALSE(s.result().try_next_host);
}

TEST(ClientSession, IgnoresAZeroSizeLimit) {
    std::string big(2000, 'x');
    Script s(settings(), message({"b@y.example"}, big));
    s.reply("220 mx.test\r\n");
    EXPECT_EQ(s.reply("250-mx.test\r\n250 SIZE 0\r\n"), "MAIL FROM:<a@x.example> SIZE=2000\r\n");
}

TEST(ClientSession, DeclaresEightBitBodiesWhenTheServerOffers8BitMime) {
    OutboundMessage m = message({"b@y.example"}, "Subject: caf\xc3\xa9\r\n\r\nx\r\n");
    Script s(settings(), m);
    s.reply("220 mx.test\r\n");
    EXPECT_EQ(s.reply(kEhloPlain), "MAIL FROM:<a@x.example> BODY=8BITMIME\r\n");
}

TEST(ClientSession, FailsAnInternationalAddressWhenTheServerLacksSmtputf8) {
    Script s(settings(), message({"j\xc3\xb6rg@y.example"}));
    s.reply("220 mx.test\r\n");
    EXPECT_EQ(s.reply(kEhloPlain), "QUIT\r\n");
    EXPECT_EQ(s.recipient(0).status, RecipientStatus::failed);
    EXPECT_TRUE(s.recipient(0).reply.starts_with("553 5.6.7 "));
}

TEST(ClientSession, AsksForSmtputf8WhenTheMessageNeedsIt) {
    OutboundMessage m = message({"b@y.example"}, "Subject: \xc3\xa9t\xc3\xa9\r\n\r\nx\r\n");
    m.smtputf8 = true;
    Script s(settings(), m);
    s.reply("220 mx.test\r\n");
    EXPECT_EQ(s.reply("250-mx.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"),
              "MAIL FROM:<a@x.example> BODY=8BITMIME SMTPUTF8\r\n");
}

// ---- REQUIRETLS (RFC 8689) ----

OutboundMessage requiring_tls() {
    OutboundMessage m = message();
    m.require_tls = true;
    return m;
}

// As the transport makes it for REQUIRETLS mail: TLS from the start (here, implicit).
ClientSettings over_tls() {
    ClientSettings s = settings(ClientSettings::Tls::required);
    s.tls_active = true;
    return s;
}

TEST(ClientSession, AsksForRequireTlsOverTlsFromAServerThatOffersIt) {
    Script script(over_tls(), requiring_tls());
    script.reply("220 mx.test\r\n");
    EXPECT_EQ(script.reply("250-mx.test\r\n250 REQUIRETLS\r\n"),
              "MAIL FROM:<a@x.example> REQUIRETLS\r\n");
}

TEST(ClientSession, BouncesRequireTlsMailForAServerWithoutIt) {
    Script script(over_tls(), requiring_tls());
    script.reply("220 mx.test\r\n");
    EXPECT_EQ(script.reply(kEhloPlain), "QUIT\r\n");
    EXPECT_EQ(script.recipient(0).status, RecipientStatus::failed);
    EXPECT_EQ(script.recipient(0).reply,
              "550 5.7.30 REQUIRETLS support required: the receiving server does not offer "
              "REQUIRETLS");
    EXPECT_FALSE(script.result().try_next_host);
}

TEST(ClientSession, NeverSendsRequireTlsMailInTheClear) {
    Script script(settings(ClientSettings::Tls::none), requiring_tls());
    script.reply("220 mx.test\r\n");
    EXPECT_EQ(script.reply("250-mx.test\r\n250 REQUIRETLS\r\n"), "QUIT\r\n");
    EXPECT_TRUE(script.recipient(0).reply.starts_with("550 5.7.30 "));
}

TEST(ClientSession, SendsAsciiMailWithoutSmtputf8EvenIfTheSenderAskedForIt) {
    OutboundMessage m = message();
    m.smtputf8 = true;
    Script s(settings(), m);
    s.reply("220 mx.test\r\n");
    EXPECT_EQ(s.reply(kEhloPlain), "MAIL FROM:<a@x.example>\r\n");
}

TEST(ClientSession, FailsMailWhoseHeadersNeedSmtputf8WhenTheServerLacksIt) {
    OutboundMessage m = message({"b@y.example"}, "Subject: \xc3\xa9t\xc3\xa9\r\n\r\nx\r\n");
    m.smtputf8 = true;
    Script s(settings(), m);
    s.reply("220 mx.test\r\n");
    EXPECT_EQ(s.reply(kEhloPlain), "QUIT\r\n");
    EXPECT_EQ(s.recipient(0).status, RecipientStatus::failed);
    EXPECT_TRUE(s.recipient(0).reply.starts_with("553 5.6.7 ")) << s.recipient(0).reply;
    EXPECT_FALSE(contains(s.transcript, "MAIL FROM"));
}

TEST(ClientSession, FailsSmtputf8MailWithUtf8InAPartHeaderWhenTheServerLacksSmtputf8) {
    OutboundMessage m = message(
        {"b@y.example"},
        "Subject: files\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n"
        "\r\n--b\r\nContent-Type: text/plain; name=\"\xc3\xa9t\xc3\xa9.txt\"\r\n\r\nx\r\n"
        "--b--\r\n");
    m.smtputf8 = true;
    Script s(settings(), m);
    s.reply("220 mx.test\r\n");
    EXPECT_EQ(s.reply(kEhloPlain), "QUIT\r\n");
    EXPECT_TRUE(s.recipient(0).reply.starts_with("553 5.6.7 ")) << s.recipient(0).reply;
}

// ---- 8-bit mail to a server without 8BITMIME (RFC 6152 3) ----

constexpr std::string_view kEightBitMessage =
    "Subject: hi\r\n\r\nGr\xc3\xbc\xc3\x9f"
    "e\r\n";
constexpr std::string_view kEhloSeven = "250-mx.test\r\n250 SIZE 1000\r\n";

TEST(ClientSession, ConvertsEightBitMailForAServerWithout8BitMime) {
    OutboundMessage m = message({"b@y.example"}, kEightBitMessage);
    m.body_8bit = true;
    Script s(settings(), m);
    s.reply("220 mx.test\r\n");
    const std::string converted =
        "Subject: hi\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\nGr=C3=BC=C3=9Fe\r\n";
    EXPECT_EQ(s.reply(kEhloSeven),
              "MAIL FROM:<a@x.example> SIZE=" + std::to_string(converted.size()) + "\r\n");
    EXPECT_EQ(s.reply("250 Ok\r\n"), "RCPT TO:<b@y.example>\r\n");
    EXPECT_EQ(s.reply("250 Ok\r\n"), "DATA\r\n");
    EXPECT_EQ(s.reply("354 go\r\n"), converted + ".\r\n");
    s.reply("250 Ok\r\n");
    EXPECT_EQ(s.recipient(0).status, RecipientStatus::delivered);
}

TEST(ClientSession, NeverDeclares8BitMimeToAServerThatDidNotOfferIt) {
    OutboundMessage m = message();
    m.body_8bit = true;
    Script s(settings(), m);
    s.reply("220 mx.test\r\n");
    EXPECT_EQ(s.reply("250-mx.test\r\n250 PIPELINING\r\n"),
              "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\nDATA\r\n");
}

TEST(ClientSession, SendsSevenBitMailUnchangedToAServerWithout8BitMime) {
    Script s(settings(), message());
    s.reply("220 mx.test\r\n");
    s.reply("250 mx.test\r\n");
    s.reply("250 Ok\r\n250 Ok\r\n");
    EXPECT_EQ(s.reply("354 go\r\n"), std::string(kMessage) + ".\r\n");
}

TEST(ClientSession, FailsWith563WhatCannotBeConverted) {
    OutboundMessage m = message({"b@y.example"}, "Subject: caf\xc3\xa9\r\n\r\nx\r\n");
    Script s(settings(), m);
    s.reply("220 mx.test\r\n");
    EXPECT_EQ(s.reply(kEhloSeven), "QUIT\r\n");
    EXPECT_EQ(s.recipient(0).status, RecipientStatus::failed);
    EXPECT_TRUE(s.recipient(0).reply.starts_with("554 5.6.3 ")) << s.recipient(0).reply;
    EXPECT_FALSE(s.result().try_next_host);
    EXPECT_FALSE(contains(s.transcript, "MAIL FROM"));
}

TEST(ClientSession, SendsWhatTheCallersConversionMakes) {
    ClientSettings custom = settings();
    int calls = 0;
    custom.to_seven_bit = [&calls](std::string_view data) -> Result<std::string> {
        ++calls;
        return "X-Converted: yes\r\n" + std::string(data.substr(0, data.find("\r\n\r\n"))) +
               "\r\n\r\nseven\r\n";
    };
    Script s(custom, message({"b@y.example"}, kEightBitMessage));
    s.reply("220 mx.test\r\n");
    s.reply("250 mx.test\r\n");
    s.reply("250 Ok\r\n250 Ok\r\n");
    EXPECT_EQ(s.reply("354 go\r\n"), "X-Converted: yes\r\nSubject: hi\r\n\r\nseven\r\n.\r\n");
    EXPECT_EQ(calls, 1);
}

TEST(ClientSession, DecidesTheConversionAgainForTheNextMessage) {
    Script s(settings(), message({"b@y.example"}, kEightBitMessage));
    s.quit_when_done = false;
    s.reply("220 mx.test\r\n");
    s.reply("250 mx.test\r\n");
    s.reply("250 Ok\r\n250 Ok\r\n354 go\r\n250 Ok\r\n");
    ASSERT_TRUE(s.session.idle());
    ASSERT_TRUE(s.session.send_next(message()));
    s.drain();
    s.reply("250 Ok\r\n250 Ok\r\n250 Ok\r\n");
    EXPECT_EQ(s.reply("354 go\r\n"), std::string(kMessage) + ".\r\n");
}

TEST(ClientSession, FailsAddressesThatWouldBreakTheCommandLine) {
    Script s(settings(), message({"evil@y.example>\r\nRCPT TO:<x@z", "b@y.example"}));
    s.reply("220 mx.test\r\n");
    EXPECT_EQ(s.reply(kEhloPlain), "MAIL FROM:<a@x.example>\r\n");
    EXPECT_EQ(s.reply("250 Ok\r\n"), "RCPT TO:<b@y.example>\r\n");
    s.reply("250 Ok\r\n354 go\r\n250 Ok\r\n");
    EXPECT_EQ(s.recipient(0).status, RecipientStatus::failed);
    EXPECT_EQ(s.recipient(1).status, RecipientStatus::delivered);
    EXPECT_FALSE(contains(s.transcript, "evil"));
}

TEST(ClientSession, SendsTheNullReversePath) {
    OutboundMessage m = message();
    m.sender = "";
    Script s(settings(), m);
    s.reply("220 mx.test\r\n");
    EXPECT_EQ(s.reply(kEhloPlain), "MAIL FROM:<>\r\n");
}

// ---- STARTTLS (RFC 3207) ----

constexpr std::string_view kEhloTls = "250-mx.test\r\n250-STARTTLS\r\n250 8BITMIME\r\n";

TEST(ClientSession, StartsTlsWhenOfferedAndSaysEhloAgain) {
    Script s;
    s.reply("220 mx.test\r\n");
    EXPECT_EQ(s.reply(kEhloTls), "STARTTLS\r\n");
    EXPECT_EQ(s.session.waiting_for(), ClientWait::command);
    EXPECT_EQ(s.reply("220 2.0.0 Ready\r\n"), "EHLO client.example\r\n");
    EXPECT_EQ(s.tls_handshakes, 1);
    EXPECT_TRUE(s.session.tls_active());
    EXPECT_FALSE(s.session.starttls_unavailable());
    EXPECT_EQ(s.reply("250-mx.test\r\n250 8BITMIME\r\n"), "MAIL FROM:<a@x.example>\r\n");
}

TEST(ClientSession, IgnoresWhatTheServerSentBeforeTheHandshake) {
    Script s;
    s.hold_tls = true;
    s.reply("220 mx.test\r\n");
    s.reply(kEhloTls);
    s.reply("220 Ready\r\n250 injected\r\n");
    EXPECT_EQ(s.session.waiting_for(), ClientWait::tls_handshake);
    s.reply("250 also injected\r\n");
    s.session.tls_started();
    EXPECT_EQ(s.drain(), "EHLO client.example\r\n");
    EXPECT_EQ(s.reply(kEhloPlain), "MAIL FROM:<a@x.example>\r\n");
}

TEST(ClientSession, GoesOnInPlaintextWhenOpportunisticStartTlsIsRefused) {
    Script s;
    s.reply("220 mx.test\r\n");
    s.reply(kEhloTls);
    EXPECT_EQ(s.reply("454 4.7.0 TLS not available\r\n"), "MAIL FROM:<a@x.example>\r\n");
    EXPECT_FALSE(s.session.tls_active());
    EXPECT_TRUE(s.session.starttls_unavailable());  // for the TLS report
}

TEST(ClientSession, DoesNotStartTlsWhenTheTransportSaysNone) {
    Script s(settings(ClientSettings::Tls::none));
    s.reply("220 mx.test\r\n");
    EXPECT_EQ(s.reply(kEhloTls), "MAIL FROM:<a@x.example>\r\n");
}

TEST(ClientSession, DefersWhenTlsIsRequiredButNotOffered) {
    Script s(settings(ClientSettings::Tls::required));
    s.reply("220 mx.test\r\n");
    EXPECT_EQ(s.reply(kEhloPlain), "QUIT\r\n");
    EXPECT_TRUE(s.session.starttls_unavailable());
    EXPECT_EQ(s.recipient(0).status, RecipientStatus::deferred);
    EXPECT_EQ(s.recipient(0).reply, "TLS is required but the server does not offer STARTTLS");
    EXPECT_TRUE(s.result().try_next_host);
}

TEST(ClientSession, DefersWhenRequiredStartTlsIsRefused) {
    Script s(settings(ClientSettings::Tls::required));
    s.reply("220 mx.test\r\n");
    s.reply(kEhloTls);
    EXPECT_EQ(s.reply("454 4.7.0 TLS not available\r\n"), "QUIT\r\n");
    EXPECT_EQ(s.recipient(0).status, RecipientStatus::deferred);
    EXPECT_TRUE(contains(s.recipient(0).reply, "454 4.7.0"));
}

TEST(ClientSession, ClosesWithoutQuitWhenTheHandshakeFails) {
    Script s;
    s.hold_tls = true;
    s.reply("220 mx.test\r\n");
    s.reply(kEhloTls);
    s.reply("220 Ready\r\n");
    s.session.tls_failed("certificate verify failed");
    EXPECT_EQ(s.drain(), "");
    EXPECT_TRUE(s.session.closed());
    EXPECT_EQ(s.recipient(0).reply, "TLS handshake failed: certificate verify failed");
    EXPECT_TRUE(s.result().try_next_host);
}

TEST(ClientSession, NeedsNoStartTlsWhenTlsIsImplicit) {
    ClientSettings c = settings(ClientSettings::Tls::required);
    c.tls_active = true;
    Script s(c);
    s.reply("220 mx.test\r\n");
    EXPECT_EQ(s.reply(kEhloTls), "MAIL FROM:<a@x.example>\r\n");
}

// ---- AUTH (RFC 4954) ----

ClientSettings with_credentials(ClientSettings::Tls tls = ClientSettings::Tls::opportunistic) {
    ClientSettings c = settings(tls);
    c.auth = ClientCredentials{"alice", "s3cret"};
    return c;
}

std::string plain_response() {
    return encode_base64(std::string("\0alice\0s3cret", 13));
}

TEST(ClientSession, AuthenticatesWithPlainAfterTls) {
    Script s(with_credentials());
    s.reply("220 mx.test\r\n");
    s.reply(kEhloTls);
    s.reply("220 Ready\r\n");
    EXPECT_EQ(s.reply("250-mx.test\r\n250 AUTH LOGIN PLAIN\r\n"),
              "AUTH PLAIN " + plain_response() + "\r\n");
    EXPECT_EQ(s.reply("235 2.7.0 Authentication successful\r\n"), "MAIL FROM:<a@x.example>\r\n");
}

TEST(ClientSession, AuthenticatesWithLoginWhenThatIsAllTheServerOffers) {
    Script s(with_credentials(ClientSettings::Tls::none));
    s.reply("220 mx.test\r\n");
    EXPECT_EQ(s.reply("250-mx.test\r\n250 AUTH LOGIN\r\n"), "AUTH LOGIN\r\n");
    EXPECT_EQ(s.reply("334 VXNlcm5hbWU6\r\n"), encode_base64("alice") + "\r\n");
    EXPECT_EQ(s.reply("334 UGFzc3dvcmQ6\r\n"), encode_base64("s3cret") + "\r\n");
    EXPECT_EQ(s.reply("235 2.7.0 Ok\r\n"), "MAIL FROM:<a@x.example>\r\n");
}

TEST(ClientSession, DefersAndTriesTheNextHostWhenAuthenticationFails) {
    Script s(with_credentials(ClientSettings::Tls::none));
    s.reply("220 mx.test\r\n");
    s.reply("250-mx.test\r\n250 AUTH PLAIN\r\n");
    EXPECT_EQ(s.reply("535 5.7.8 Authentication credentials invalid\r\n"), "QUIT\r\n");
    EXPECT_EQ(s.recipient(0).status, RecipientStatus::deferred);
    EXPECT_EQ(s.recipient(0).reply,
              "authentication failed: 535 5.7.8 Authentication credentials invalid");
    EXPECT_FALSE(contains(s.recipient(0).reply, "s3cret"));
    EXPECT_TRUE(s.result().try_next_host);
}

TEST(ClientSession, NeverSendsCredentialsOverPlaintextUnlessTlsIsNone) {
    Script s(with_credentials());
    s.reply("220 mx.test\r\n");
    EXPECT_EQ(s.reply("250-mx.test\r\n250 AUTH PLAIN LOGIN\r\n"), "QUIT\r\n");
    EXPECT_FALSE(contains(s.transcript, "AUTH"));
    EXPECT_EQ(s.recipient(0).status, RecipientStatus::deferred);
}

TEST(ClientSession, DefersWhenCredentialsAreSetButNoMechanismIsOffered) {
    Script s(with_credentials(ClientSettings::Tls::none));
    s.reply("220 mx.test\r\n");
    EXPECT_EQ(s.reply("250-mx.test\r\n250 AUTH CRAM-MD5\r\n"), "QUIT\r\n");
    EXPECT_TRUE(contains(s.recipient(0).reply, "neither AUTH PLAIN nor LOGIN"));
}

// ---- connection reuse ----

// With PIPELINING the next transaction goes in the RSET's group (RFC 2920 3.1): one round
// trip, and the RSET's reply still comes before the text is sent.
TEST(ClientSession, PipelinesTheNextTransactionWithItsRsetWhenIdle) {
    Script s;
    s.keep_open_after(kPipelinedFirstMessage);
    EXPECT_TRUE(s.session.idle());
    EXPECT_EQ(s.session.waiting_for(), ClientWait::nothing);
    ASSERT_TRUE(s.session.send_next(message({"z@y.example"})));
    EXPECT_FALSE(s.session.send_next(message()));
    EXPECT_EQ(s.drain(),
              "RSET\r\nMAIL FROM:<a@x.example> SIZE=22\r\nRCPT TO:<z@y.example>\r\nDATA\r\n");
    EXPECT_EQ(s.reply("250 Ok\r\n250 Ok\r\n250 Ok\r\n"), "") << "no text before 354";
    EXPECT_TRUE(contains(s.reply("354 go\r\n"), "\r\n.\r\n"));
    s.reply("250 2.0.0 second\r\n");
    ASSERT_EQ(s.results.size(), 2u);
    EXPECT_EQ(s.results[1].recipients.at(0).recipient, "z@y.example");
    EXPECT_EQ(s.results[1].recipients.at(0).reply, "250 2.0.0 second");
    EXPECT_TRUE(s.session.idle());
    s.session.quit();
    EXPECT_EQ(s.drain(), "QUIT\r\n");
}

// Without PIPELINING, RSET alone, and the transaction once it is answered.
TEST(ClientSession, SendsTheNextMessageAfterRsetWhenIdleWithoutPipelining) {
    Script s;
    s.keep_open_after(kPlainFirstMessage);
    ASSERT_TRUE(s.session.send_next(message({"z@y.example"})));
    EXPECT_EQ(s.drain(), "RSET\r\n");
    EXPECT_EQ(s.reply("250 Ok\r\n"), "MAIL FROM:<a@x.example>\r\n");
    EXPECT_EQ(s.reply("250 Ok\r\n"), "RCPT TO:<z@y.example>\r\n");
}

// A refused RSET leaves the pipelined transaction undone: its recipients are for another
// connection, and its text was never sent.
TEST(ClientSession, ARefusedRsetDefersThePipelinedTransactionToAnotherHost) {
    Script s;
    s.keep_open_after(kPipelinedFirstMessage);
    ASSERT_TRUE(s.session.send_next(message({"z@y.example"})));
    s.drain();
    EXPECT_EQ(s.reply("502 5.5.1 No\r\n250 Ok\r\n250 Ok\r\n354 go\r\n"), "QUIT\r\n")
        << "no text after the 354";
    ASSERT_EQ(s.results.size(), 2u);
    EXPECT_EQ(s.results[1].recipients.at(0).status, RecipientStatus::deferred);
    EXPECT_TRUE(contains(s.results[1].recipients.at(0).reply, "RSET refused"));
    EXPECT_TRUE(s.results[1].try_next_host);
}

// A message decided without a command (a sender that cannot be written in MAIL) after a
// pipelined RSET: the connection is idle again once the RSET is answered.
TEST(ClientSession, IsIdleAgainAfterTheRsetWhenTheMessageWasDecidedWithoutACommand) {
    Script s;
    s.keep_open_after(kPipelinedFirstMessage);
    OutboundMessage bad = message({"z@y.example"});
    bad.sender = "a<b@x.example";
    ASSERT_TRUE(s.session.send_next(bad));
    EXPECT_EQ(s.drain(), "RSET\r\n");
    ASSERT_EQ(s.results.size(), 2u);
    EXPECT_EQ(s.results[1].recipients.at(0).status, RecipientStatus::failed);
    EXPECT_FALSE(s.session.idle()) << "the RSET's reply is still due";
    s.reply("250 Ok\r\n");
    EXPECT_TRUE(s.session.idle());
    ASSERT_TRUE(s.session.send_next(message({"w@y.example"})));
    EXPECT_TRUE(contains(s.drain(), "RCPT TO:<w@y.example>"));
}

TEST(ClientSession, ClosesQuietlyWhenAnIdleConnectionDrops) {
    Script s;
    s.keep_open_after(kPlainFirstMessage);
    s.session.connection_lost();
    s.drain();
    EXPECT_TRUE(s.session.closed());
    EXPECT_EQ(s.results.size(), 1u);
}

TEST(ClientSession, HandsTheNextMessageToAnotherHostWhenTheIdleServerSaid421) {
    Script s;
    s.keep_open_after(kPlainFirstMessage);
    s.reply("421 4.4.2 Idle timeout\r\n");
    EXPECT_TRUE(s.session.idle());
    ASSERT_TRUE(s.session.send_next(message({"z@y.example"})));
    s.drain();
    EXPECT_TRUE(s.session.closed());
    ASSERT_EQ(s.results.size(), 2u);
    EXPECT_EQ(s.results[1].recipients.at(0).reply, "421 4.4.2 Idle timeout");
    EXPECT_TRUE(s.results[1].try_next_host);
}

// ---- dot-stuffing (RFC 5321 4.5.2) ----

TEST(DotStuff, DoublesALeadingDotOnEveryLine) {
    EXPECT_EQ(dot_stuff(".hidden\r\nok\r\n..two\r\n.\r\n"),
              "..hidden\r\nok\r\n...two\r\n..\r\n.\r\n");
}

TEST(DotStuff, LeavesDotsInsideLinesAlone) {
    EXPECT_EQ(dot_stuff("a.b\r\nc .\r\n"), "a.b\r\nc .\r\n.\r\n");
}

TEST(DotStuff, TurnsBareLineEndingsIntoCrlfSoNoDotCanEndTheDataEarly) {
    EXPECT_EQ(dot_stuff("a\n.\nb\r.\rc\r\n"), "a\r\n..\r\nb\r\n..\r\nc\r\n.\r\n");
}

TEST(DotStuff, ReadsACrBeforeACrlfAndACrAtTheEndAsLineEndings) {
    EXPECT_EQ(dot_stuff("a\r\r\n.b\r"), "a\r\n\r\n..b\r\n.\r\n");
    EXPECT_EQ(dot_stuff("\n"), "\r\n.\r\n");
}

TEST(DotStuff, EndsAnUnterminatedLastLine) {
    EXPECT_EQ(dot_stuff("no newline"), "no newline\r\n.\r\n");
    EXPECT_EQ(dot_stuff(""), ".\r\n");
}

TEST(ClientSession, DotStuffsTheMessageItSends) {
    Script s(settings(), message({"b@y.example"}, ".leading\r\n.\r\n"));
    s.reply("220 mx.test\r\n");
    s.reply(kEhloPlain);
    s.reply("250 Ok\r\n250 Ok\r\n");
    EXPECT_EQ(s.reply("354 go\r\n"), "..leading\r\n..\r\n.\r\n");
}

}  // namespace
}  // namespace herald::smtp

namespace herald::smtp {
namespace {

// ---- DSN (RFC 3461) ----

OutboundMessage message_with_dsn() {
    OutboundMessage m = message({"b@y.example", "c@y.example"});
    m.dsn_return = message::DsnReturn::headers;
    m.envelope_id = "id=1";
    m.recipient_dsn = {{.notify = message::RecipientDsn::success, .orcpt = "rfc822;B+x@y.example"},
                       {}};
    return m;
}

TEST(ClientSession, PassesTheDsnRequestToAServerThatOffersDsn) {
    Script s(settings(ClientSettings::Tls::none), message_with_dsn());
    s.reply("220 mx.test\r\n");
    EXPECT_EQ(s.reply("250-mx.test\r\n250 DSN\r\n"),
              "MAIL FROM:<a@x.example> RET=HDRS ENVID=id+3D1\r\n");
    EXPECT_EQ(s.reply("250 2.1.0 Ok\r\n"),
              "RCPT TO:<b@y.example> NOTIFY=SUCCESS ORCPT=rfc822;B+2Bx@y.example\r\n");
    EXPECT_EQ(s.reply("250 2.1.5 Ok\r\n"), "RCPT TO:<c@y.example>\r\n");
    s.reply("250 2.1.5 Ok\r\n");
    s.reply("354 Go\r\n");
    s.reply("250 2.0.0 Ok\r\n");
    EXPECT_TRUE(s.result().dsn_passed_on);
}

TEST(ClientSession, KeepsTheDsnRequestFromAServerWithoutDsn) {
    Script s(settings(ClientSettings::Tls::none), message_with_dsn());
    s.reply("220 mx.test\r\n");
    EXPECT_EQ(s.reply(kEhloPlain), "MAIL FROM:<a@x.example>\r\n");
    EXPECT_EQ(s.reply("250 2.1.0 Ok\r\n"), "RCPT TO:<b@y.example>\r\n");
    s.reply("250 2.1.5 Ok\r\n");
    s.reply("250 2.1.5 Ok\r\n");
    s.reply("354 Go\r\n");
    s.reply("250 2.0.0 Ok\r\n");
    EXPECT_FALSE(s.result().dsn_passed_on);
}

}  // namespace
}  // namespace herald::smtp
