#include "base/private_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <fmt/core.h>

namespace herald {

std::optional<std::string> exposed_private_file(const std::filesystem::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return std::nullopt;
    const mode_t mode = st.st_mode & 07777;
    const bool others = (mode & S_IRWXO) != 0;
    const bool foreign_group = (mode & S_IRWXG) != 0 && st.st_gid != ::getegid();
    if (!others && !foreign_group) return std::nullopt;
    return fmt::format(
        "{} is open to other users (mode {:04o}); chmod 600 it, owned by the user "
        "Herald runs as",
        path.string(), mode);
}

}  // namespace herald
