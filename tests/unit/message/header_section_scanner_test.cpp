#include "message/header_section_scanner.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "message/header_block.hpp"

namespace herald::message {
namespace {

// Scans `text` cut at `cuts` and checks it against HeaderBlock on the whole text.
void expect_same_as_header_block(const std::string& text, const std::vector<std::size_t>& cuts) {
    HeaderSectionScanner scanner;
    std::size_t from = 0;
    for (std::size_t cut : cuts) {
        scanner.update(std::string_view(text).substr(from, cut - from));
        from = cut;
    }
    scanner.update(std::string_view(text).substr(from));
    scanner.finish();
    const HeaderBlock block = HeaderBlock::parse(text);
    EXPECT_TRUE(scanner.ended());
    EXPECT_EQ(scanner.size(), block.end()) << testing::PrintToString(text);
    EXPECT_EQ(scanner.received_fields(), block.count("Received")) << testing::PrintToString(text);
}

const std::vector<std::string> kTexts = {
    "",
    "\r\n",
    "\r\nReceived: body\r\n",
    "Subject: x\r\n\r\nbody\r\n",
    "Received: a\r\nreceived : b\r\n\tfolded\r\nRECEIVED: c\r\n\r\nReceived: body\r\n",
    "Subject: x\r\nbody text without a blank line\r\nReceived: no\r\n",
    " continuation first\r\nReceived: no\r\n",
    "Bad Name: x\r\nReceived: no\r\n",
    "Received: only headers\r\n",
    "Received: no line break at the end",
    "Received: lf\nReceived: lf\n\nReceived: body\n",
    "Received: cr\rstill the same line\r\nX: y\r\n\r\n",
    "X:\r\n\r\n",
};

TEST(HeaderSectionScanner, AgreesWithHeaderBlockOnEverySplit) {
    for (const auto& text : kTexts) {
        for (std::size_t cut = 0; cut <= text.size(); ++cut) {
            expect_same_as_header_block(text, {cut});
        }
        std::vector<std::size_t> every_byte;
        for (std::size_t i = 1; i < text.size(); ++i) every_byte.push_back(i);
        expect_same_as_header_block(text, every_byte);
    }
}

TEST(HeaderSectionScanner, AgreesWithHeaderBlockOnRandomText) {
    const std::vector<std::string> tokens{"Received", "received", ":", " ",       "\t", "\r\n",
                                          "\n",       "\r",       "x", "Subject", "a b"};
    std::mt19937 random(99);
    for (int round = 0; round < 2000; ++round) {
        std::string text;
        for (int i = 0; i < 30; ++i) text += tokens[random() % tokens.size()];
        std::vector<std::size_t> cuts;
        for (std::size_t at = 1 + random() % 7; at < text.size(); at += 1 + random() % 7) {
            cuts.push_back(at);
        }
        expect_same_as_header_block(text, cuts);
    }
}

TEST(HeaderSectionScanner, MeasuresAHugeHeaderSectionWithoutKeepingIt) {
    HeaderSectionScanner scanner;
    const std::string field = "X-Filler: " + std::string(80, 'f') + "\r\n";
    for (int i = 0; i < 100000; ++i) scanner.update(field);
    EXPECT_FALSE(scanner.ended());
    EXPECT_EQ(scanner.size(), field.size() * 100000);
    scanner.update("\r\nbody\r\n");
    EXPECT_TRUE(scanner.ended());
    EXPECT_EQ(scanner.size(), field.size() * 100000);
}

}  // namespace
}  // namespace herald::message
