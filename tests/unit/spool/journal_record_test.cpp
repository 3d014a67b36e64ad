#include "spool/journal_record.hpp"

#include <gtest/gtest.h>

#include <string>

#include "spool/journal_replay.hpp"
#include "spool/queue_file.hpp"

namespace herald::spool {
namespace {

using namespace std::string_literals;

std::string three_records() {
    std::string text;
    append_journal_record(text, JournalKind::message, "id1", "HERALD-QUEUE 1\nbytes\n\0x"s);
    append_journal_record(text, JournalKind::outcomes, "id1", "0D 1F");
    append_journal_record(text, JournalKind::removed, "id2", "");
    return text;
}

TEST(JournalRecord, ReadsBackWhatWasWritten) {
    auto read = read_journal_records(three_records());
    EXPECT_TRUE(read.complete);
    ASSERT_EQ(read.records.size(), 3u);
    EXPECT_EQ(read.records[0].kind, JournalKind::message);
    EXPECT_EQ(read.records[0].id, "id1");
    EXPECT_EQ(read.records[0].payload, "HERALD-QUEUE 1\nbytes\n\0x"s);
    EXPECT_EQ(read.records[1].payload, "0D 1F");
    EXPECT_EQ(read.records[2].kind, JournalKind::removed);
    EXPECT_EQ(read.records[2].payload, "");
}

// A crash may cut the last batch anywhere: what precedes the cut is read, nothing after.
TEST(JournalRecord, ATornTailEndsTheReadingAtEveryByte) {
    const std::string text = three_records();
    std::string two;
    append_journal_record(two, JournalKind::message, "id1", "HERALD-QUEUE 1\nbytes\n\0x"s);
    append_journal_record(two, JournalKind::outcomes, "id1", "0D 1F");
    for (std::size_t cut = two.size() + 1; cut < text.size(); ++cut) {
        auto read = read_journal_records(std::string_view(text).substr(0, cut));
        EXPECT_FALSE(read.complete) << cut;
        EXPECT_EQ(read.records.size(), 2u) << cut;
    }
}

// A prepared segment's unused zeros end the records cleanly; a record cut short before them
// is still cut short, wherever the cut.
TEST(JournalRecord, ZerosAfterTheRecordsAreTheirEndAndATornRecordBeforeThemIsNot) {
    const std::string text = three_records();
    auto read = read_journal_records(text + std::string(4096, '\0'));
    EXPECT_TRUE(read.complete);
    EXPECT_EQ(read.records.size(), 3u);
    EXPECT_TRUE(read_journal_records(std::string(100, '\0')).complete);

    std::string two;
    append_journal_record(two, JournalKind::message, "id1", "HERALD-QUEUE 1\nbytes\n\0x"s);
    append_journal_record(two, JournalKind::outcomes, "id1", "0D 1F");
    for (std::size_t cut = two.size() + 1; cut < text.size(); ++cut) {
        auto torn = read_journal_records(text.substr(0, cut) + std::string(512, '\0'));
        EXPECT_FALSE(torn.complete) << cut;
        EXPECT_EQ(torn.records.size(), 2u) << cut;
    }
    // A record whose first bytes a power cut lost, its rest on disk: not an end.
    std::string hole = two + text.substr(two.size());
    std::fill(hole.begin() + static_cast<std::ptrdiff_t>(two.size()),
              hole.begin() + static_cast<std::ptrdiff_t>(two.size() + 3), '\0');
    EXPECT_FALSE(read_journal_records(hole).complete);
}

TEST(JournalRecord, ADamagedByteFailsItsRecord) {
    std::string text = three_records();
    for (std::size_t at : {std::size_t{0}, std::size_t{2}, text.size() / 2, text.size() - 2}) {
        std::string damaged = text;
        damaged[at] ^= 0x20;
        auto read = read_journal_records(damaged);
        EXPECT_FALSE(read.complete) << at;
        EXPECT_LT(read.records.size(), 3u) << at;
    }
}

TEST(JournalRecord, OutcomesRoundTripAndBadOnesAreRefused) {
    std::vector<RecipientMark> marks{{0, RecipientState::delivered}, {12, RecipientState::failed}};
    const auto text = encode_outcomes(marks);
    EXPECT_EQ(text, "0D 12F");
    auto parsed = parse_outcomes(text);
    ASSERT_TRUE(parsed);
    ASSERT_EQ(parsed->size(), 2u);
    EXPECT_EQ((*parsed)[1].index, 12u);
    EXPECT_EQ((*parsed)[1].state, RecipientState::failed);
    for (const char* bad : {"D", "0X", "-1D", "0D  1F", "x0D"})
        EXPECT_FALSE(parse_outcomes(bad)) << bad;
}

std::string queue_file_for(std::vector<std::string> recipients) {
    message::Envelope envelope;
    envelope.sender = "a@example.com";
    envelope.recipients = std::move(recipients);
    const std::string data = "Subject: x\r\n\r\nbody\r\n";
    return encode_queue_file_header(envelope, data.size()) + data + std::string(kEndRecord);
}

TEST(JournalReplay, FoldsEachMessagesRecordsInOrder) {
    std::vector<JournalRecord> records{
        {JournalKind::message, "a", queue_file_for({"x@y", "z@y"})},
        {JournalKind::outcomes, "a", "0D"},
        {JournalKind::message, "b", queue_file_for({"x@y"})},
        {JournalKind::held, "b", "h"},
        {JournalKind::outcomes, "a", "1F"},
        {JournalKind::outcomes, "c", "0D"},
        {JournalKind::removed, "d", ""},
    };
    auto folded = fold_journal(records);
    ASSERT_EQ(folded.size(), 4u);
    EXPECT_TRUE(folded["a"].finished());
    EXPECT_EQ(folded["a"].marks.size(), 2u);
    EXPECT_FALSE(folded["b"].finished());
    EXPECT_EQ(folded["b"].held, true);
    EXPECT_FALSE(folded["c"].finished()) << "not known without the stored file";
    EXPECT_TRUE(folded["d"].removed);
}

}  // namespace
}  // namespace herald::spool
