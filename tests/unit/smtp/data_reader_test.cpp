#include "smtp/data_reader.hpp"

#include <gtest/gtest.h>

namespace herald::smtp {
namespace {

struct ReadResult {
    std::string text;
    std::size_t used = 0;
    bool done = false;
    bool bare = false;
    bool too_long = false;
    bool oversized = false;
};

ReadResult read_all(std::string_view input, DataLimits limits = {}) {
    DataReader reader(limits);
    ReadResult r;
    r.used = reader.feed(input);
    r.done = reader.done();
    r.bare = reader.bare_line_ending();
    r.too_long = reader.line_too_long();
    r.oversized = reader.oversized();
    r.text = reader.take_text();
    return r;
}

TEST(DataReader, EndsOnlyAtCrlfDotCrlf) {
    ReadResult r = read_all("Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n");
    EXPECT_TRUE(r.done);
    EXPECT_EQ(r.text, "Subject: x\r\n\r\nbody\r\n");
    EXPECT_EQ(r.used, std::string_view("Subject: x\r\n\r\nbody\r\n.\r\n").size());
    EXPECT_FALSE(r.bare);
}

TEST(DataReader, ReadsTheEmptyMessage) {
    ReadResult r = read_all(".\r\n");
    EXPECT_TRUE(r.done);
    EXPECT_EQ(r.text, "");
    EXPECT_EQ(r.used, 3u);
}

TEST(DataReader, RemovesDotStuffing) {
    ReadResult r = read_all("..\r\n..leading\r\n.x\r\nmid.dle\r\n...\r\n.\r\n");
    EXPECT_TRUE(r.done);
    EXPECT_EQ(r.text, ".\r\n.leading\r\nx\r\nmid.dle\r\n..\r\n");
}

TEST(DataReader, WaitsForMoreWhenTheEndIsIncomplete) {
    for (std::string_view partial : {"a\r\n", "a\r\n.", "a\r\n.\r", "a\r"}) {
        ReadResult r = read_all(partial);
        EXPECT_FALSE(r.done) << partial;
        EXPECT_EQ(r.used, partial.size());
    }
}

// The SMTP smuggling variants: none of these may end the message, and the real end after
// them must still be found.
TEST(DataReader, NeverEndsOnBareLineEndings) {
    for (std::string_view fake_end :
         {"\n.\n", "\r.\r", "\r\n.\n", "\n.\r\n", "\r.\r\n", "\r\n.\r"}) {
        std::string input = "Subject: a\r\n\r\nfirst";
        input += fake_end;
        input += "MAIL FROM:<evil@x>\r\nRCPT TO:<v@y>\r\nDATA\r\nsmuggled\r\n.\r\nNEXT";
        ReadResult r = read_all(input);
        EXPECT_TRUE(r.done) << testing::PrintToString(fake_end);
        EXPECT_TRUE(r.bare) << testing::PrintToString(fake_end);
        EXPECT_EQ(r.used, input.size() - 4) << testing::PrintToString(fake_end);
        EXPECT_NE(r.text.find("smuggled"), std::string::npos);
    }
}

TEST(DataReader, NormalizesBareLineEndingsWhenAsked) {
    DataLimits limits;
    limits.normalize_bare_line_endings = true;
    ReadResult r = read_all("a\nb\rc\r\n\n.\n..x\r\n.\r\n", limits);
    EXPECT_TRUE(r.done);
    EXPECT_TRUE(r.bare);
    // A line begun by a bare ending is neither unstuffed nor an end mark.
    EXPECT_EQ(r.text, "a\r\nb\r\nc\r\n\r\n.\r\n..x\r\n");
}

TEST(DataReader, FlagsTextLinesOver1000OctetsButReadsToTheEnd) {
    std::string ok_line(998, 'a');
    ReadResult fine = read_all(ok_line + "\r\n.\r\n");
    EXPECT_FALSE(fine.too_long);
    ReadResult r = read_all(std::string(999, 'a') + "\r\nmore\r\n.\r\n");
    EXPECT_TRUE(r.done);
    EXPECT_TRUE(r.too_long);
}

TEST(DataReader, CountsLineLengthAcrossChunks) {
    for (std::size_t length : {998u, 999u}) {
        DataReader reader({});
        const std::string line(length, 'a');
        reader.feed(line.substr(0, 400));
        reader.feed(line.substr(400));
        reader.feed("\r\n.\r\n");
        EXPECT_TRUE(reader.done());
        EXPECT_EQ(reader.line_too_long(), length > 998) << length;
        EXPECT_EQ(reader.take_text(), line + "\r\n");
    }
}

TEST(DataReader, DiscardsEverythingPastTheSizeLimit) {
    DataLimits limits;
    limits.max_message_size = 100;
    std::string big;
    for (int i = 0; i < 50; ++i) big += "0123456789\r\n";
    ReadResult r = read_all(big + ".\r\n", limits);
    EXPECT_TRUE(r.done);
    EXPECT_TRUE(r.oversized);
    EXPECT_EQ(r.text, "");
    ReadResult exact = read_all(std::string(98, 'x') + "\r\n.\r\n", limits);
    EXPECT_FALSE(exact.oversized);
    EXPECT_EQ(exact.text.size(), 100u);
}

TEST(DataReader, GivesTheSameTextForEverySplit) {
    const std::string input = "A: b\r\n\r\n..x\r\nbare\nline\r\n.\r\n";
    const ReadResult whole = read_all(input);
    for (std::size_t cut = 0; cut <= input.size(); ++cut) {
        DataReader reader({});
        std::size_t used = reader.feed(std::string_view(input).substr(0, cut));
        if (!reader.done()) used += reader.feed(std::string_view(input).substr(cut));
        EXPECT_EQ(used, input.size());
        EXPECT_EQ(reader.bare_line_ending(), whole.bare);
        EXPECT_EQ(reader.take_text(), whole.text) << "cut at " << cut;
    }
}

// The text is taken after every feed, as the session does: the pieces join up to the text
// read whole, and none is larger than what its feed brought (twice that when bare line
// endings become CRLF).
TEST(DataReader, HandsTheTextOnInPiecesThatJoinUpToTheWhole) {
    std::string input = "Subject: x\r\n\r\n";
    for (int i = 0; i < 500; ++i) input += "..line " + std::to_string(i) + "\nmore\r\n";
    input += ".\r\n";
    for (bool normalize : {false, true}) {
        DataLimits limits;
        limits.normalize_bare_line_endings = normalize;
        const ReadResult whole = read_all(input, limits);
        for (std::size_t piece : {1u, 7u, 100u, 4096u}) {
            DataReader reader(limits);
            std::string joined;
            for (std::size_t at = 0; at < input.size() && !reader.done(); at += piece) {
                const std::string_view part = std::string_view(input).substr(at, piece);
                reader.feed(part);
                const std::string text = reader.take_text();
                EXPECT_LE(text.size(), 2 * part.size() + 1);
                joined += text;
            }
            EXPECT_TRUE(reader.done());
            EXPECT_EQ(joined, whole.text) << piece;
            EXPECT_EQ(reader.size(), whole.text.size());
        }
    }
}

TEST(DataReader, HandsNothingMoreOnOnceOversized) {
    DataLimits limits;
    limits.max_message_size = 100;
    DataReader reader(limits);
    std::string taken;
    for (int i = 0; i < 50; ++i) {
        reader.feed("0123456789\r\n");
        taken += reader.take_text();
    }
    reader.feed(".\r\n");
    EXPECT_TRUE(reader.done());
    EXPECT_TRUE(reader.oversized());
    EXPECT_LE(taken.size(), 100u);
    EXPECT_LE(reader.size(), 100u);
}

TEST(DataReader, PassesNulAndEightBitBytesThrough) {
    const std::string body("a\0b\xff\xfe\r\n.\r\n", 10);
    ReadResult r = read_all(body);
    EXPECT_TRUE(r.done);
    EXPECT_EQ(r.text, std::string("a\0b\xff\xfe\r\n", 7));
}

}  // namespace
}  // namespace herald::smtp
