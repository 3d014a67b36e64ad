#include "log/log_rotation.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "log/main_log.hpp"

namespace herald::log {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

class LogRotationTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("herald-rotate-" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    fs::path dir_;
};

TEST_F(LogRotationTest, ShiftsEveryGenerationAndDropsTheOldestBeyondKeep) {
    const fs::path log = dir_ / "mainlog";
    std::ofstream(log) << "current\n";
    std::ofstream(dir_ / "mainlog.1") << "one\n";
    std::ofstream(dir_ / "mainlog.2.gz") << "two\n";
    std::ofstream(dir_ / "mainlog.3") << "three\n";
    ASSERT_TRUE(shift_generations(log, 3).ok());
    EXPECT_FALSE(fs::exists(log));
    EXPECT_EQ(read(dir_ / "mainlog.1"), "current\n");
    EXPECT_EQ(read(dir_ / "mainlog.2"), "one\n");
    EXPECT_EQ(read(dir_ / "mainlog.3.gz"), "two\n");
    EXPECT_FALSE(fs::exists(dir_ / "mainlog.4"));  // "three" was the oldest beyond keep
}

TEST_F(LogRotationTest, LosesNoLineWrittenAcrossTheRotation) {
    auto opened = MainLog::open(dir_ / "mainlog");
    ASSERT_TRUE(opened.ok());
    MainLog& mainlog = **opened;
    mainlog.note("before");
    ASSERT_TRUE(shift_generations(dir_ / "mainlog", 10).ok());
    mainlog.note("between the rename and the reopen");
    ASSERT_TRUE(mainlog.reopen().ok());
    mainlog.note("after");
    const std::string old = read(dir_ / "mainlog.1");
    EXPECT_NE(old.find("before"), std::string::npos);
    EXPECT_NE(old.find("between the rename and the reopen"), std::string::npos);
    const std::string fresh = read(dir_ / "mainlog");
    EXPECT_NE(fresh.find("after"), std::string::npos);
    EXPECT_EQ(fresh.find("before"), std::string::npos);
}

TEST_F(LogRotationTest, RotatesALogThatDoesNotExistYetWithoutComplaint) {
    EXPECT_TRUE(shift_generations(dir_ / "rejectlog", 5).ok());
    EXPECT_FALSE(fs::exists(dir_ / "rejectlog.1"));
}

}  // namespace
}  // namespace herald::log
