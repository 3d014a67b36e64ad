// A log file that cannot take its lines: RLIMIT_FSIZE stands in for a full disk, since it
// cuts a write short at the limit and fails the next one (EFBIG), and can be lifted again.
#include "log/log_file.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>
#include <filesystem>

#include "log_test_support.hpp"

namespace herald::log {
namespace {

class FileSizeLimit {
  public:
    explicit FileSizeLimit(rlim_t bytes) {
        ::getrlimit(RLIMIT_FSIZE, &saved_);
        previous_handler_ = std::signal(SIGXFSZ, SIG_IGN);  // the write fails instead
        rlimit limit = saved_;
        limit.rlim_cur = bytes;
        ::setrlimit(RLIMIT_FSIZE, &limit);
    }
    ~FileSizeLimit() {
        ::setrlimit(RLIMIT_FSIZE, &saved_);
        std::signal(SIGXFSZ, previous_handler_);
    }

  private:
    rlimit saved_{};
    void (*previous_handler_)(int) = nullptr;
};

TEST(LogFile, LostLinesAreReportedAndATornLineIsEndedOnRecovery) {
    TempLogDir dir;
    auto file = LogFile::open(dir / "mainlog");
    ASSERT_TRUE(file);
    std::vector<std::string> reports;
    (*file)->set_trouble_reporter([&](std::string_view text) { reports.emplace_back(text); });

    (*file)->append("first line");
    {
        FileSizeLimit limit(std::filesystem::file_size(dir / "mainlog") + 5);
        (*file)->append("second line, cut short");
        (*file)->append("third line, lost whole");
    }
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_NE(reports[0].find("mainlog: cannot write: File too large"), std::string::npos)
        << reports[0];

    (*file)->append("fourth line");
    (*file)->append("fifth line");
    ASSERT_EQ(reports.size(), 2u);
    EXPECT_NE(reports[1].find("mainlog: written again; 2 lines were lost"), std::string::npos)
        << reports[1];
    EXPECT_EQ(lines_of(dir / "mainlog"),
              (std::vector<std::string>{"first line", "secon", "fourth line", "fifth line"}));
}

TEST(LogFile, ALineLostWholeLeavesNoEmptyLine) {
    TempLogDir dir;
    auto file = LogFile::open(dir / "mainlog");
    ASSERT_TRUE(file);
    std::vector<std::string> reports;
    (*file)->set_trouble_reporter([&](std::string_view text) { reports.emplace_back(text); });
    (*file)->append("first");
    {
        FileSizeLimit limit(std::filesystem::file_size(dir / "mainlog"));
        (*file)->append("lost");
    }
    (*file)->append("next");
    EXPECT_EQ(lines_of(dir / "mainlog"), (std::vector<std::string>{"first", "next"}));
    ASSERT_EQ(reports.size(), 2u);
    EXPECT_NE(reports[1].find("written again; 1 line was lost"), std::string::npos) << reports[1];
}

}  // namespace
}  // namespace herald::log
