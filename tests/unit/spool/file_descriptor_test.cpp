#include "spool/file_descriptor.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace herald::spool {
namespace {

// O_NOATIME is the owner's to ask (or CAP_FOWNER's): another user, such as an admin running
// `herald queue list` on a spool Herald's user owns, still reads the file.
TEST(FileDescriptor, AReaderWhoDoesNotOwnTheFileOpensItWithoutNoAtime) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root, to read as another user";
    char dir_template[] = "/tmp/herald-fd-XXXXXX";
    ASSERT_NE(::mkdtemp(dir_template), nullptr);
    const std::filesystem::path dir = dir_template;
    std::filesystem::permissions(dir, std::filesystem::perms(0755));
    const auto file = dir / "owned-by-root";
    std::ofstream(file) << "queued";
    std::filesystem::permissions(file, std::filesystem::perms(0644));

    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        if (::setuid(65534) != 0) ::_exit(3);  // nobody: neither the owner nor CAP_FOWNER
        // The kernel refuses the flag itself to this user...
        if (::open(file.c_str(), O_RDONLY | O_NOATIME) >= 0 || errno != EPERM) ::_exit(4);
        // ...and the spool's open goes without it.
        const auto fd = FileDescriptor::open(file, O_RDONLY | O_NOATIME);
        std::string text;
        ::_exit(fd && fd.read_at(0, 64, text) == 0 && text == "queued" ? 0 : 5);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    std::filesystem::remove_all(dir);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "3: setuid, 4: the kernel took O_NOATIME, 5: no read";
}

}  // namespace
}  // namespace herald::spool
