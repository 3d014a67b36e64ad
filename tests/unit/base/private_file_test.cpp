#include "base/private_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace herald {
namespace {

namespace fs = std::filesystem;

class PrivateFileTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char pattern[] = "/tmp/herald-private-XXXXXX";
        dir_ = ::mkdtemp(pattern);
        key_ = dir_ / "key.pem";
        std::ofstream(key_) << "secret";
    }
    void TearDown() override { fs::remove_all(dir_); }
    void set_mode(fs::perms mode) { fs::permissions(key_, mode); }

    fs::path dir_;
    fs::path key_;
};

TEST_F(PrivateFileTest, TheOwnersAloneIsPrivate) {
    set_mode(fs::perms::owner_read | fs::perms::owner_write);
    EXPECT_EQ(exposed_private_file(key_), std::nullopt);
}

TEST_F(PrivateFileTest, ReadableByEveryoneIsExposedAndSaysItsMode) {
    set_mode(fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
    auto why = exposed_private_file(key_);
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("mode 0444"), std::string::npos) << *why;
    EXPECT_NE(why->find(key_.string()), std::string::npos) << *why;
}

TEST_F(PrivateFileTest, WritableByOthersIsExposedToo) {
    set_mode(fs::perms::owner_read | fs::perms::others_write);
    EXPECT_TRUE(exposed_private_file(key_));
}

TEST_F(PrivateFileTest, OurOwnGroupMayReadAnotherGroupMayNot) {
    set_mode(fs::perms::owner_read | fs::perms::group_read);
    ASSERT_EQ(::chown(key_.c_str(), static_cast<uid_t>(-1), ::getegid()), 0);
    EXPECT_EQ(exposed_private_file(key_), std::nullopt);
    // Any group but ours: its members are other users.
    const gid_t other = ::getegid() == 0 ? 1 : 0;
    if (::chown(key_.c_str(), static_cast<uid_t>(-1), other) != 0) {
        GTEST_SKIP() << "only root can give a file to another group";
    }
    EXPECT_TRUE(exposed_private_file(key_));
}

TEST_F(PrivateFileTest, AMissingFileIsLeftToItsReader) {
    EXPECT_EQ(exposed_private_file(dir_ / "absent.pem"), std::nullopt);
}

}  // namespace
}  // namespace herald
