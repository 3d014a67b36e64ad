#include "delivery/transports/posix_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace herald::delivery {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
        reset();
        fd_ = other.release();
    }
    return *this;
}

int UniqueFd::release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
}

void UniqueFd::reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

std::string io_error(std::string_view operation, const std::filesystem::path& path, int err) {
    return std::string(operation) + " " + path.string() + ": " +
           std::system_category().message(err);
}

Result<UniqueFd> open_file(const std::filesystem::path& path, int flags, int mode) {
    int fd;
    do {
        fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return Error{io_error("open", path, errno)};
    return UniqueFd(fd);
}

Status write_all(int fd, std::string_view bytes, const std::filesystem::path& path) {
    while (!bytes.empty()) {
        ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error{io_error("write", path, errno)};
        if (n == 0) return Error{io_error("write", path, EIO)};
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return ok_status();
}

Status fsync_file(int fd, const std::filesystem::path& path) {
    if (::fsync(fd) != 0) return Error{io_error("fsync", path, errno)};
    return ok_status();
}

Status fsync_directory(const std::filesystem::path& dir) {
    auto fd = open_file(dir.empty() ? std::filesystem::path(".") : dir, O_RDONLY | O_DIRECTORY);
    if (!fd) return Error{fd.error()};
    return fsync_file(fd->get(), dir);
}

Status make_private_directories(const std::filesystem::path& dir) {
    std::filesystem::path partial;
    for (const auto& component : dir) {
        partial /= component;
        if (component == "/" || component.empty()) continue;
        if (::mkdir(partial.c_str(), 0700) == 0) {
            // The new entry in its parent must survive a crash as much as the mail in it.
            if (auto synced = fsync_directory(partial.parent_path()); !synced) return synced;
            continue;
        }
        if (errno != EEXIST) return Error{io_error("mkdir", partial, errno)};
        struct stat st {};
        if (::stat(partial.c_str(), &st) != 0) return Error{io_error("stat", partial, errno)};
        if (!S_ISDIR(st.st_mode)) return Error{io_error("mkdir", partial, ENOTDIR)};
    }
    return ok_status();
}

}  // namespace herald::delivery
