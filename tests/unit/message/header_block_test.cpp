#include "message/header_block.hpp"

#include <gtest/gtest.h>

namespace herald::message {
namespace {

TEST(HeaderBlock, ParsesFieldsUpToTheBlankLine) {
    const std::string text = "From: a@x.example\r\nSubject: hi\r\n\r\nBody: not a header\r\n";
    HeaderBlock h = HeaderBlock::parse(text);
    ASSERT_EQ(h.fields().size(), 2u);
    EXPECT_EQ(h.fields()[0].name, "From");
    EXPECT_EQ(h.fields()[0].value, "a@x.example");
    EXPECT_EQ(h.fields()[1].value, "hi");
    EXPECT_EQ(h.end(), text.find("\r\n\r\n") + 2);
    EXPECT_FALSE(h.has("Body"));
}

TEST(HeaderBlock, UnfoldsContinuationLines) {
    HeaderBlock h = HeaderBlock::parse("Subject: a long\r\n  subject\r\n\tline\r\nTo: b\r\n\r\n");
    ASSERT_EQ(h.fields().size(), 2u);
    EXPECT_EQ(h.fields()[0].value, "a long  subject\tline");
    EXPECT_EQ(h.fields()[1].name, "To");
}

TEST(HeaderBlock, FindsAndCountsNamesCaseInsensitively) {
    HeaderBlock h = HeaderBlock::parse(
        "Received: a\r\nreceived: b\r\nRECEIVED: c\r\nMessage-Id: <x@y>\r\nDATE: now\r\n\r\n");
    EXPECT_EQ(h.count("Received"), 3u);
    ASSERT_NE(h.find("Message-ID"), nullptr);
    EXPECT_EQ(h.find("message-id")->value, "<x@y>");
    EXPECT_TRUE(h.has("Date"));
    EXPECT_FALSE(h.has("From"));
}

TEST(HeaderBlock, HandlesTextWithoutHeaders) {
    HeaderBlock body_only = HeaderBlock::parse("just a body line\r\nmore\r\n");
    EXPECT_TRUE(body_only.fields().empty());
    EXPECT_EQ(body_only.end(), 0u);
    HeaderBlock empty = HeaderBlock::parse("");
    EXPECT_TRUE(empty.fields().empty());
    HeaderBlock blank_first = HeaderBlock::parse("\r\nSubject: body\r\n");
    EXPECT_TRUE(blank_first.fields().empty());
    HeaderBlock continuation_first = HeaderBlock::parse(" folded: x\r\n");
    EXPECT_TRUE(continuation_first.fields().empty());
}

TEST(HeaderBlock, StopsAtTheFirstLineThatIsNoField) {
    const std::string text = "Subject: x\r\nthis is body\r\nTo: not@a.header\r\n";
    HeaderBlock h = HeaderBlock::parse(text);
    ASSERT_EQ(h.fields().size(), 1u);
    EXPECT_EQ(h.end(), std::string("Subject: x\r\n").size());
}

TEST(HeaderBlock, AcceptsLfOnlyLinesAndAMissingFinalLineBreak) {
    HeaderBlock lf = HeaderBlock::parse("A: 1\nB: 2\n\nbody");
    EXPECT_EQ(lf.fields().size(), 2u);
    EXPECT_EQ(lf.fields()[1].value, "2");
    HeaderBlock unterminated = HeaderBlock::parse("Subject: end");
    ASSERT_EQ(unterminated.fields().size(), 1u);
    EXPECT_EQ(unterminated.fields()[0].value, "end");
    EXPECT_FALSE(unterminated.ends_with_line_break());
    EXPECT_EQ(unterminated.end(), 12u);
}

TEST(HeaderBlock, ToleratesObsoleteSpaceBeforeTheColon) {
    HeaderBlock h = HeaderBlock::parse("Subject : spaced\r\n\r\n");
    ASSERT_EQ(h.fields().size(), 1u);
    EXPECT_EQ(h.fields()[0].name, "Subject");
}

TEST(HeaderBlock, RecordsWhereEachFieldLies) {
    const std::string text = "A: 1\r\nB: 2\r\n  more\r\nC: 3\r\n\r\n";
    HeaderBlock h = HeaderBlock::parse(text);
    ASSERT_EQ(h.fields().size(), 3u);
    const auto& b = h.fields()[1];
    EXPECT_EQ(text.substr(b.begin, b.end - b.begin), "B: 2\r\n  more\r\n");
}

TEST(HeaderBlock, SurvivesHostileBytes) {
    std::string text("X\0: a\r\nY: \xff\xfe\0\r\n\r\n", 17);
    HeaderBlock h = HeaderBlock::parse(text);
    EXPECT_TRUE(h.fields().empty());  // NUL is not allowed in a field name
    HeaderBlock colon_only = HeaderBlock::parse(":\r\n: x\r\n");
    EXPECT_TRUE(colon_only.fields().empty());
}

// A value is unfolded only when folded; either way what surrounds it goes, line breaks too.
TEST(HeaderBlock, TrimsUnfoldedAndUnfoldedValuesAlike) {
    HeaderBlock h = HeaderBlock::parse(
        "A:   plain  \r\nB:\r\n  starts below\r\nC: ends\r\n \r\nD: a\rb\r\nE:\r\n\r\n");
    ASSERT_EQ(h.fields().size(), 5u);
    EXPECT_EQ(h.fields()[0].value, "plain");
    EXPECT_EQ(h.fields()[1].value, "starts below");
    EXPECT_EQ(h.fields()[2].value, "ends");
    EXPECT_EQ(h.fields()[3].value, "a\rb") << "a lone CR is no fold";
    EXPECT_EQ(h.fields()[4].value, "");
}

// The split between header and body, without the fields: the same as parse() finds.
TEST(HeaderSectionEnd, IsWhereParseEnds) {
    for (std::string_view text :
         {"From: a\r\nSubject: b\r\n\r\nbody", "A: 1\r\n  folded\r\nB: 2\r\nbody line\r\n",
          "Subject: end", "", "\r\nSubject: x\r\n", " folded: x\r\n", "A: 1\nB: 2\n\nbody",
          ":\r\n: x\r\n", "no header here\r\n"}) {
        EXPECT_EQ(header_section_end(text), HeaderBlock::parse(text).end()) << text;
    }
    EXPECT_EQ(header_section_end("A: 1\r\nB: 2\r\n\r\nC: 3\r\n"), 12u);
}

TEST(Unfold, RemovesLineBreaksOfFolding) {
    EXPECT_EQ(unfold("a\r\n b\n\tc"), "a b\tc");
    EXPECT_EQ(unfold(""), "");
}

TEST(TakeRecipientHeaders, CollectsToCcBccAndDropsBcc) {
    std::string text =
        "From: me@x.example\r\nTo: A <a@y.example>, b@y.example\r\nBcc: secret@z.example\r\n"
        "Cc: \"Doe, J\" <c@y.example>\r\nSubject: s\r\n\r\nBcc: in body stays\r\n";
    auto recipients = take_recipient_headers(text);
    EXPECT_EQ(recipients, (std::vector<std::string>{"a@y.example", "b@y.example",
                                                    "secret@z.example", "c@y.example"}));
    EXPECT_EQ(text,
              "From: me@x.example\r\nTo: A <a@y.example>, b@y.example\r\n"
              "Cc: \"Doe, J\" <c@y.example>\r\nSubject: s\r\n\r\nBcc: in body stays\r\n");
}

TEST(TakeRecipientHeaders, RemovesFoldedAndRepeatedBcc) {
    std::string text =
        "Bcc: a@x.example,\r\n b@x.example\r\nTo: c@x.example\r\nbcc: d@x.example\r\n\r\n";
    auto recipients = take_recipient_headers(text);
    EXPECT_EQ(recipients.size(), 4u);
    EXPECT_EQ(text, "To: c@x.example\r\n\r\n");
}

}  // namespace
}  // namespace herald::message
