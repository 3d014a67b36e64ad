#include "log/log_reader.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "generated_log.hpp"
#include "log_test_support.hpp"

namespace herald::log {
namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

std::vector<std::string> read_all(LogReader& reader) {
    std::vector<std::string> lines;
    while (auto line = reader.next()) lines.emplace_back(*line);
    return lines;
}

std::vector<std::string> names_of(const std::vector<fs::path>& paths) {
    std::vector<std::string> names;
    for (const auto& p : paths) names.push_back(p.filename().string());
    return names;
}

TEST(LogGenerations, ListsRotatedFilesOldestFirstAndTheLogLast) {
    TempLogDir dir;
    for (const char* name : {"mainlog", "mainlog.1", "mainlog.2.gz", "mainlog.10.gz", "mainlog.9",
                             "rejectlog.3", "mainlog.bak", "mainlog.01", "mainlog.3.gz.tmp",
                             "mainlogx.4", "mainlog.", "mainlog.-1"}) {
        write_file(dir / name, "x\n");
    }
    EXPECT_EQ(names_of(log_generations(dir / "mainlog")),
              (std::vector<std::string>{"mainlog.10.gz", "mainlog.9", "mainlog.2.gz", "mainlog.1",
                                        "mainlog"}));
}

TEST(LogGenerations, PrefersThePlainFileWhileItsGzipIsBeingWritten) {
    TempLogDir dir;
    write_file(dir / "mainlog.1", "a\n");
    write_file(dir / "mainlog.1.gz", "");
    EXPECT_EQ(names_of(log_generations(dir / "mainlog")), (std::vector<std::string>{"mainlog.1"}));
}

TEST(LogGenerations, IsEmptyWithoutAnyLogFile) {
    TempLogDir dir;
    EXPECT_TRUE(log_generations(dir / "mainlog").empty());
    EXPECT_TRUE(log_generations(dir / "missing-dir" / "mainlog").empty());
}

TEST(LogReader, ReadsRotatedAndGzippedGenerationsInOrder) {
    TempLogDir dir;
    write_gzip(dir / "mainlog.2.gz", "one\ntwo\n");
    write_file(dir / "mainlog.1", "three\n");
    write_file(dir / "mainlog", "four\nfive\n");
    LogReader reader(log_generations(dir / "mainlog"));
    EXPECT_EQ(read_all(reader), (std::vector<std::string>{"one", "two", "three", "four", "five"}));
    EXPECT_TRUE(reader.errors().empty());
    EXPECT_EQ(reader.bytes_read(), 24u);
}

TEST(LogReader, KeepsEmptyLinesAndALastLineWithoutNewline) {
    TempLogDir dir;
    write_file(dir / "a", "first\n\nlast");
    write_file(dir / "b", "");
    write_file(dir / "c", "next\n");
    LogReader reader({dir / "a", dir / "b", dir / "c"});
    EXPECT_EQ(read_all(reader), (std::vector<std::string>{"first", "", "last", "next"}));
}

TEST(LogReader, CutsAnOverlongLineAndGoesOnWithTheNext) {
    TempLogDir dir;
    std::string huge(LogReader::kMaxLine * 2 + 17, 'x');
    write_file(dir / "mainlog", "before\n" + huge + "\nafter\n");
    LogReader reader({dir / "mainlog"});
    auto lines = read_all(reader);
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0], "before");
    EXPECT_EQ(lines[1].size(), LogReader::kMaxLine);
    EXPECT_EQ(lines[2], "after");
}

TEST(LogReader, AFileWithoutNewlinesIsOneCutLine) {
    TempLogDir dir;
    write_file(dir / "mainlog", std::string(LogReader::kMaxLine + 5, 'y'));
    LogReader reader({dir / "mainlog"});
    auto lines = read_all(reader);
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0].size(), LogReader::kMaxLine);
}

TEST(LogReader, ReportsAMissingFileAndReadsTheOthers) {
    TempLogDir dir;
    write_file(dir / "present", "line\n");
    LogReader reader({dir / "absent", dir / "present"});
    EXPECT_EQ(read_all(reader), (std::vector<std::string>{"line"}));
    ASSERT_EQ(reader.errors().size(), 1u);
    EXPECT_NE(reader.errors()[0].find("absent"), std::string::npos);
}

TEST(LogReader, ReportsATruncatedGzipAfterReadingWhatItHolds) {
    TempLogDir dir;
    std::string text;
    for (int i = 0; i < 20000; ++i) text += "line " + std::to_string(i) + "\n";
    write_gzip(dir / "whole.gz", text);
    auto size = fs::file_size(dir / "whole.gz");
    fs::copy_file(dir / "whole.gz", dir / "cut.gz");
    fs::resize_file(dir / "cut.gz", size / 2);
    write_file(dir / "mainlog", "after\n");
    LogReader reader({dir / "cut.gz", dir / "mainlog"});
    auto lines = read_all(reader);
    ASSERT_FALSE(reader.errors().empty());
    EXPECT_NE(reader.errors()[0].find("cut.gz"), std::string::npos);
    ASSERT_GE(lines.size(), 2u);
    EXPECT_EQ(lines[0], "line 0");
    EXPECT_EQ(lines.back(), "after");
    EXPECT_LT(lines.size(), 20001u);
}

TEST(LogReader, GarbageInAGzFileIsReadAsText) {
    TempLogDir dir;
    write_file(dir / "mainlog.1.gz", "not compressed\n\x1f\x8b");
    LogReader reader(log_generations(dir / "mainlog"));
    auto lines = read_all(reader);
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines[0], "not compressed");
}

TEST(LogReader, ReadsAHundredThousandLinesAcrossGenerationsExactly) {
    TempLogDir dir;
    auto log = generate_log(20000);
    ASSERT_EQ(log.lines.size(), 100000u);
    write_gzip_lines(dir / "mainlog.3.gz", log.lines, 0, 30000);
    write_lines(dir / "mainlog.2", log.lines, 30000, 55000);
    write_gzip_lines(dir / "mainlog.1.gz", log.lines, 55000, 70000);
    write_lines(dir / "mainlog", log.lines, 70000);
    LogReader reader(log_generations(dir / "mainlog"));
    std::size_t count = 0, bytes = 0;
    bool in_order = true;
    while (auto line = reader.next()) {
        if (count < log.lines.size() && *line != log.lines[count]) in_order = false;
        ++count;
        bytes += line->size() + 1;
    }
    EXPECT_EQ(count, log.lines.size());
    EXPECT_TRUE(in_order);
    EXPECT_EQ(reader.bytes_read(), bytes);
    EXPECT_TRUE(reader.errors().empty());
}

}  // namespace
}  // namespace herald::log
