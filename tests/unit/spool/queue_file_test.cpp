#include "spool/queue_file.hpp"

#include <gtest/gtest.h>

#include <random>

namespace herald::spool {
namespace {

message::Envelope sample_envelope() {
    message::Envelope env;
    env.sender = "alice@example.com";
    env.recipients = {"bob@example.net", "carol@example.org"};
    env.smtputf8 = true;
    env.body_8bit = true;
    env.require_tls = true;
    env.helo = "client.example.com";
    env.client_ip = "192.0.2.7";
    env.auth_user = "alice";
    env.protocol = "esmtpsa";
    env.arrival =
        std::chrono::system_clock::time_point(std::chrono::microseconds(1764000000123456));
    return env;
}

TEST(QueueFile, HeaderRoundTripsEveryEnvelopeField) {
    auto env = sample_envelope();
    auto header = encode_queue_file_header(env, 1234);
    ASSERT_EQ(queue_file_header_length(header), header.size());
    auto parsed = parse_queue_file_header(header);
    ASSERT_TRUE(parsed) << parsed.error();
    const auto& e = parsed->envelope;
    EXPECT_EQ(e.sender, env.sender);
    EXPECT_EQ(e.recipients, env.recipients);
    EXPECT_TRUE(e.smtputf8);
    EXPECT_TRUE(e.body_8bit);
    EXPECT_TRUE(e.require_tls);
    EXPECT_EQ(e.helo, env.helo);
    EXPECT_EQ(e.client_ip, env.client_ip);
    EXPECT_EQ(e.auth_user, env.auth_user);
    EXPECT_EQ(e.protocol, env.protocol);
    EXPECT_EQ(e.arrival, env.arrival);
    EXPECT_EQ(parsed->states,
              (std::vector<RecipientState>{RecipientState::pending, RecipientState::pending}));
    EXPECT_FALSE(parsed->held);
    EXPECT_EQ(parsed->data_size, 1234u);
    EXPECT_EQ(parsed->data_offset, header.size());
    EXPECT_EQ(parsed->file_size(), header.size() + 1234 + 2);
}

TEST(QueueFile, WritesTheRequireTlsRecordOnlyWhenSet) {
    auto env = sample_envelope();
    EXPECT_NE(encode_queue_file_header(env, 0).find("\nL 1\n"), std::string::npos);
    env.require_tls = false;
    const auto header = encode_queue_file_header(env, 0);
    EXPECT_EQ(header.find("\nL "), std::string::npos);
    auto parsed = parse_queue_file_header(header);
    ASSERT_TRUE(parsed) << parsed.error();
    EXPECT_FALSE(parsed->envelope.require_tls);
}

TEST(QueueFile, KeepsWhatTheSenderAskedOfDsns) {
    auto env = sample_envelope();
    auto plain = encode_queue_file_header(env, 1);
    EXPECT_EQ(plain.find("\nN "), std::string::npos);  // nothing asked, nothing written
    env.dsn_return = message::DsnReturn::headers;
    env.envelope_id = "id 1";
    env.recipient_dsn["carol@example.org"] = {.notify = 0, .orcpt = "rfc822;c@example.org"};
    env.recipient_dsn["bob@example.net"] = {.notify = message::RecipientDsn::success};
    const auto header = encode_queue_file_header(env, 1);
    auto parsed = parse_queue_file_header(header);
    ASSERT_TRUE(parsed) << parsed.error();
    EXPECT_EQ(parsed->envelope.dsn_return, message::DsnReturn::headers);
    EXPECT_EQ(parsed->envelope.envelope_id, "id 1");
    EXPECT_EQ(parsed->envelope.recipient_dsn, env.recipient_dsn);
    // An N record belongs to the recipient before it: none before the first, one each.
    EXPECT_FALSE(parse_queue_file_header("HERALD-QUEUE 1\nT 1\nS \nF -\nN - \nD 0\n"));
    EXPECT_FALSE(
        parse_queue_file_header("HERALD-QUEUE 1\nT 1\nS \nF -\nRP a@b\nN - \nN - \nD 0\n"));
    EXPECT_FALSE(parse_queue_file_header("HERALD-QUEUE 1\nT 1\nS \nF -\nRP a@b\nN BOGUS x\nD 0\n"));
}

TEST(QueueFile, InPlaceOffsetsPointAtTheStateAndFlagBytes) {
    auto header = encode_queue_file_header(sample_envelope(), 0);
    auto parsed = parse_queue_file_header(header);
    ASSERT_TRUE(parsed);
    ASSERT_EQ(parsed->state_offsets.size(), 2u);
    for (auto offset : parsed->state_offsets) {
        EXPECT_EQ(header[offset], 'P');
        EXPECT_EQ(header[offset - 1], 'R');
    }
    EXPECT_EQ(header[parsed->held_offset], '-');
    header[parsed->state_offsets[1]] = 'D';
    header[parsed->held_offset] = 'h';
    auto changed = parse_queue_file_header(header);
    ASSERT_TRUE(changed);
    EXPECT_EQ(changed->states[1], RecipientState::delivered);
    EXPECT_TRUE(changed->held);
}

TEST(QueueFile, HostileValuesCannotForgeRecords) {
    message::Envelope env = sample_envelope();
    env.sender = "";
    env.helo = "evil\nRP victim@example.com\nD 0";
    env.recipients = {"x@y\r\nF h", std::string("nul\0byte", 8)};
    auto header = encode_queue_file_header(env, 0);
    auto parsed = parse_queue_file_header(header);
    ASSERT_TRUE(parsed) << parsed.error();
    EXPECT_EQ(parsed->envelope.sender, "");
    EXPECT_EQ(parsed->envelope.helo, env.helo);
    EXPECT_EQ(parsed->envelope.recipients, env.recipients);
    EXPECT_FALSE(parsed->held);
    EXPECT_EQ(queue_file_header_length(header), header.size());
}

TEST(QueueFile, HeaderLengthNeedsTheWholeSizeRecord) {
    auto header = encode_queue_file_header(sample_envelope(), 99);
    for (std::size_t n = 0; n < header.size(); ++n) {
        EXPECT_FALSE(queue_file_header_length(std::string_view(header).substr(0, n))) << n;
    }
    EXPECT_EQ(queue_file_header_length(header + "D data that looks like a record\n"),
              header.size());
}

TEST(QueueFile, MissingOrMalformedRecordsAreRefused) {
    auto good = encode_queue_file_header(sample_envelope(), 5);
    auto without = [&](std::string_view record) {
        std::string copy = good;
        auto at = copy.find(record);
        copy.erase(at, copy.find('\n', at) + 1 - at);
        return copy;
    };
    EXPECT_FALSE(parse_queue_file_header(without("\nT ")));
    EXPECT_FALSE(parse_queue_file_header(without("S alice")));
    EXPECT_FALSE(parse_queue_file_header(without("F -")));
    EXPECT_FALSE(parse_queue_file_header("HERALD-QUEUE 2\nD 0\n"));
    EXPECT_FALSE(parse_queue_file_header(good + "S more\n"));
    std::string bad_state = good;
    bad_state[bad_state.find("RP") + 1] = 'X';
    EXPECT_FALSE(parse_queue_file_header(bad_state));
    std::string huge = good;
    huge.replace(huge.find("D 5"), 3, "D 18446744073709551615");
    EXPECT_FALSE(parse_queue_file_header(huge));
}

TEST(QueueFile, RandomCorruptionNeverCrashes) {
    auto good = encode_queue_file_header(sample_envelope(), 7);
    std::mt19937 rng(12345);
    for (int round = 0; round < 20000; ++round) {
        std::string copy = good;
        int flips = 1 + static_cast<int>(rng() % 4);
        for (int i = 0; i < flips; ++i) copy[rng() % copy.size()] = static_cast<char>(rng());
        auto length = queue_file_header_length(copy);
        auto parsed =
            parse_queue_file_header(std::string_view(copy).substr(0, length.value_or(copy.size())));
        if (parsed) {
            EXPECT_EQ(parsed->states.size(), parsed->envelope.recipients.size());
            EXPECT_EQ(parsed->state_offsets.size(), parsed->states.size());
        }
    }
}

}  // namespace
}  // namespace herald::spool
