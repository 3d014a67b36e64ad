#include "admin/admin_token.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>
#include <regex>

#include "admin_test_support.hpp"

namespace herald::admin {
namespace {

using ::testing::HasSubstr;

mode_t mode_of(const std::filesystem::path& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0);
    return st.st_mode & 0777;
}

TEST(AdminToken, IsCreatedPrivateOnTheFirstStartAndReusedAfter) {
    TempDir dir;
    auto first = load_or_create_admin_token(dir / "");
    ASSERT_TRUE(first) << first.error();
    EXPECT_TRUE(std::regex_match(*first, std::regex("[0-9a-f]{64}"))) << *first;
    EXPECT_EQ(mode_of(dir / "admin.token"), 0600U);
    auto again = load_or_create_admin_token(dir / "");
    ASSERT_TRUE(again) << again.error();
    EXPECT_EQ(*again, *first);
    // No temporary file is left behind.
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir / "")) {
        ++files;
    }
    EXPECT_EQ(files, 1U);
}

TEST(AdminToken, TwoServersGetDifferentTokens) {
    TempDir one, two;
    EXPECT_NE(*load_or_create_admin_token(one / ""), *load_or_create_admin_token(two / ""));
}

TEST(AdminToken, AFileOthersMayReadIsRefusedNotReplaced) {
    TempDir dir;
    std::ofstream(dir / "admin.token") << "an-operator-chosen-token-0123\n";
    ::chmod((dir / "admin.token").c_str(), 0644);
    auto loaded = load_or_create_admin_token(dir / "");
    ASSERT_FALSE(loaded);
    EXPECT_THAT(loaded.error(), HasSubstr("mode 644"));
    EXPECT_THAT(loaded.error(), HasSubstr("chmod 600"));
    ::chmod((dir / "admin.token").c_str(), 0600);
    loaded = load_or_create_admin_token(dir / "");
    ASSERT_TRUE(loaded) << loaded.error();
    EXPECT_EQ(*loaded, "an-operator-chosen-token-0123");
}

TEST(AdminToken, AFileWithoutAUsableTokenIsRefused) {
    for (std::string text : {"", "short\n", "has a space in it somewhere\n"}) {
        TempDir dir;
        { std::ofstream(dir / "admin.token") << text; }
        ::chmod((dir / "admin.token").c_str(), 0600);
        auto loaded = load_or_create_admin_token(dir / "");
        ASSERT_FALSE(loaded) << text;
        EXPECT_THAT(loaded.error(), HasSubstr("no usable token"));
    }
}

TEST(AdminToken, ASymlinkOrADirectoryIsRefused) {
    TempDir dir;
    std::filesystem::create_symlink("/etc/passwd", dir / "admin.token");
    EXPECT_FALSE(load_or_create_admin_token(dir / ""));
    std::filesystem::remove(dir / "admin.token");
    std::filesystem::create_directory(dir / "admin.token");
    EXPECT_FALSE(load_or_create_admin_token(dir / ""));
}

}  // namespace
}  // namespace herald::admin
