#include "message/arrival_stamp.hpp"

#include <gtest/gtest.h>

#include "message/header_block.hpp"

namespace herald::message {
namespace {

Envelope sample_envelope() {
    Envelope e;
    e.sender = "a@x.example";
    e.recipients = {"b@y.example"};
    e.helo = "client.example";
    e.client_ip = "192.0.2.7";
    e.protocol = "esmtpsa";
    e.arrival = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
    return e;
}

ArrivalStamp submission_stamp() {
    ArrivalStamp s;
    s.hostname = "mx.herald.test";
    s.queue_id = "Q1";
    s.client_reverse_name = "host.client.example";
    s.mask_client = true;
    s.add_missing_ids = true;
    return s;
}

TEST(ArrivalStamp, PrependsReceivedOnRelay) {
    ArrivalStamp s = submission_stamp();
    s.mask_client = false;
    s.add_missing_ids = false;
    const std::string out = s.apply("Subject: x\r\n\r\nbody\r\n", sample_envelope());
    EXPECT_TRUE(out.starts_with("Received: from client.example (host.client.example [192.0.2.7])"));
    EXPECT_TRUE(out.ends_with("\r\nSubject: x\r\n\r\nbody\r\n"));
    EXPECT_EQ(out.find("Message-ID"), std::string::npos);
    EXPECT_EQ(HeaderBlock::parse(out).count("Received"), 1u);
}

TEST(ArrivalStamp, AddsMessageIdAndDateOnSubmission) {
    const std::string out =
        submission_stamp().apply("Subject: x\r\n\r\nbody\r\n", sample_envelope());
    HeaderBlock h = HeaderBlock::parse(out);
    ASSERT_TRUE(h.has("Message-ID"));
    EXPECT_TRUE(h.find("Message-ID")->value.starts_with("<Q1."));
    EXPECT_TRUE(h.find("Message-ID")->value.ends_with("@mx.herald.test>"));
    ASSERT_TRUE(h.has("Date"));
    EXPECT_EQ(h.find("Date")->value, "Tue, 14 Nov 2023 22:13:20 +0000");
    EXPECT_EQ(h.fields().back().name, "Date");
    EXPECT_TRUE(out.ends_with("\r\n\r\nbody\r\n"));
    EXPECT_EQ(out.find("192.0.2.7"), std::string::npos);
}

TEST(ArrivalStamp, KeepsExistingIds) {
    const std::string text =
        "Message-ID: <mine@x>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\nb\r\n";
    const std::string out = submission_stamp().apply(text, sample_envelope());
    HeaderBlock h = HeaderBlock::parse(out);
    EXPECT_EQ(h.count("Message-ID"), 1u);
    EXPECT_EQ(h.count("Date"), 1u);
    EXPECT_EQ(h.find("Message-ID")->value, "<mine@x>");
}

TEST(ArrivalStamp, MakesUniqueMessageIds) {
    ArrivalStamp s = submission_stamp();
    EXPECT_NE(s.new_message_id(), s.new_message_id());
}

TEST(ArrivalStamp, HandlesAMessageWithoutHeaders) {
    const std::string out = submission_stamp().apply("just text\r\n", sample_envelope());
    HeaderBlock h = HeaderBlock::parse(out);
    EXPECT_EQ(h.count("Received"), 1u);
    EXPECT_TRUE(h.has("Message-ID"));
    EXPECT_TRUE(h.has("Date"));
    EXPECT_TRUE(out.ends_with("\r\n\r\njust text\r\n"));

    ArrivalStamp relay = submission_stamp();
    relay.add_missing_ids = false;
    const std::string relayed = relay.apply("just text\r\n", sample_envelope());
    EXPECT_TRUE(relayed.ends_with("\r\n\r\njust text\r\n"));
}

TEST(ArrivalStamp, HandlesAnEmptyMessage) {
    const std::string out = submission_stamp().apply("", sample_envelope());
    HeaderBlock h = HeaderBlock::parse(out);
    EXPECT_EQ(h.fields().size(), 3u);
    EXPECT_TRUE(out.ends_with("\r\n"));
}

TEST(ArrivalStamp, HandlesHeadersWithoutBodyOrFinalLineBreak) {
    const std::string out = submission_stamp().apply("Subject: x", sample_envelope());
    HeaderBlock h = HeaderBlock::parse(out);
    ASSERT_EQ(h.fields().size(), 4u);
    EXPECT_EQ(h.fields()[1].value, "x");
    EXPECT_EQ(h.fields()[2].name, "Message-ID");
}

TEST(ArrivalStamp, HandlesHeadersWithoutSeparator) {
    const std::string out = submission_stamp().apply("Subject: x\r\n", sample_envelope());
    HeaderBlock h = HeaderBlock::parse(out);
    EXPECT_EQ(h.fields().size(), 4u);
    EXPECT_TRUE(out.ends_with("\r\n"));
}

TEST(ArrivalStamp, NamesTheRecipientOnlyWhenSingle) {
    ArrivalStamp s = submission_stamp();
    Envelope e = sample_envelope();
    EXPECT_NE(s.apply("", e).find("for <b@y.example>"), std::string::npos);
    e.recipients.push_back("hidden@z.example");
    const std::string out = s.apply("", e);
    EXPECT_EQ(out.find("hidden"), std::string::npos);
    EXPECT_EQ(out.find("for <"), std::string::npos);
}

}  // namespace
}  // namespace herald::message

namespace herald::message {
namespace {

TEST(ArrivalStamp, AddsFromTheEnvelopeSenderOnlyWhenAskedAndMissing) {
    ArrivalStamp s = submission_stamp();
    s.add_missing_from = true;
    Envelope envelope = sample_envelope();
    const std::string added = s.apply("Subject: x\r\n\r\nbody\r\n", envelope);
    const auto added_header = HeaderBlock::parse(added);
    ASSERT_NE(added_header.find("From"), nullptr);
    EXPECT_EQ(added_header.find("From")->value, envelope.sender);

    const std::string kept = s.apply("From: Someone <a@b.example>\r\n\r\nbody\r\n", envelope);
    const auto kept_header = HeaderBlock::parse(kept);
    EXPECT_EQ(kept_header.count("From"), 1u);
    EXPECT_EQ(kept_header.find("From")->value, "Someone <a@b.example>");

    s.add_missing_from = false;
    EXPECT_FALSE(HeaderBlock::parse(s.apply("Subject: x\r\n\r\nb\r\n", envelope)).has("From"));
    s.add_missing_from = true;
    envelope.sender.clear();  // the null sender has no address to show
    EXPECT_FALSE(HeaderBlock::parse(s.apply("Subject: x\r\n\r\nb\r\n", envelope)).has("From"));
}

// The intake stamps the header section of a spooled text and copies the rest: the outcome
// must be what apply() makes of the whole text.
TEST(ArrivalStamp, StampsAHeaderSectionKeptApartAsTheWholeText) {
    ArrivalStamp s = submission_stamp();
    s.add_missing_ids = false;  // random: compared apart above
    s.add_missing_from = true;
    for (std::string_view text :
         {"Subject: x\r\n\r\nbody\r\n", "", "just a body\r\n", "\r\nbody after blank\r\n",
          "Subject: x\r\nno separator\r\n", "Subject: only\r\n", " odd first line\r\n"}) {
        const std::size_t end = HeaderBlock::parse(text).end();
        const std::string_view rest = text.substr(end);
        std::string out =
            s.apply_to_header(text.substr(0, end), rest.substr(0, 2), sample_envelope());
        out += rest;
        EXPECT_EQ(out, s.apply(text, sample_envelope())) << testing::PrintToString(text);
    }
}

}  // namespace
}  // namespace herald::message
