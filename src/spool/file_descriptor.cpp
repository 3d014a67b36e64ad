#include "spool/file_descriptor.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <system_error>
#include <vector>

namespace herald::spool {

FileDescriptor& FileDescriptor::operator=(FileDescriptor&& other) noexcept {
    if (this != &other) {
        reset();
        fd_ = other.release();
    }
    return *this;
}

namespace {

int open_retrying(int directory, const char* name, int flags, mode_t mode) {
    for (;;) {
        const int fd = ::openat(directory, name, flags | O_CLOEXEC, mode);
        if (fd >= 0) return fd;
        if (errno == EPERM && (flags & O_NOATIME)) {
            flags &= ~O_NOATIME;  // not the file's owner: an ordinary open
        } else if (errno != EINTR) {
            return fd;
        }
    }
}

}  // namespace

FileDescriptor FileDescriptor::open(const std::filesystem::path& path, int flags, mode_t mode) {
    return FileDescriptor(open_retrying(AT_FDCWD, path.c_str(), flags, mode));
}

FileDescriptor FileDescriptor::open_in(const FileDescriptor& directory, const std::string& name,
                                       int flags, mode_t mode) {
    return FileDescriptor(open_retrying(directory.get(), name.c_str(), flags, mode));
}

int FileDescriptor::release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
}

void FileDescriptor::reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

int FileDescriptor::write_all(std::span<const std::string_view> pieces) const {
    // One writev() for the whole file in the common case: no copy of the message data.
    std::vector<iovec> iov;
    iov.reserve(pieces.size());
    for (auto piece : pieces) {
        if (!piece.empty()) iov.push_back({const_cast<char*>(piece.data()), piece.size()});
    }
    std::size_t first = 0;
    while (first < iov.size()) {
        int count = static_cast<int>(std::min<std::size_t>(iov.size() - first, IOV_MAX));
        ssize_t n = ::writev(fd_, iov.data() + first, count);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno;
        if (n == 0) return EIO;
        auto left = static_cast<std::size_t>(n);
        while (first < iov.size() && left >= iov[first].iov_len) {
            left -= iov[first].iov_len;
            ++first;
        }
        if (left > 0) {
            iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
            iov[first].iov_len -= left;
        }
    }
    return 0;
}

int FileDescriptor::pwrite_byte(char byte, std::uint64_t offset) const {
    for (;;) {
        ssize_t n = ::pwrite(fd_, &byte, 1, static_cast<off_t>(offset));
        if (n == 1) return 0;
        if (n < 0 && errno == EINTR) continue;
        return n < 0 ? errno : EIO;
    }
}

int FileDescriptor::read_at(std::uint64_t offset, std::size_t length, std::string& out) const {
    const std::size_t start = out.size();
    for (std::size_t done = 0; done < length; done = out.size() - start) {
        if (int err = read_some_at(offset + done, length - done, out); err != 0) return err;
        if (out.size() - start == done) break;  // the end of the file: the caller sees the size
    }
    return 0;
}

int FileDescriptor::read_some_at(std::uint64_t offset, std::size_t length, std::string& out) const {
    std::size_t start = out.size();
    out.resize(start + length);
    ssize_t n;
    do {
        n = ::pread(fd_, out.data() + start, length, static_cast<off_t>(offset));
    } while (n < 0 && errno == EINTR);
    out.resize(start + static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
    return n < 0 ? errno : 0;
}

int FileDescriptor::copy_from(const FileDescriptor& source, std::uint64_t offset,
                              std::uint64_t length) const {
    auto in = static_cast<loff_t>(offset);
    bool in_kernel = true;
    std::string buffer;
    while (length > 0) {
        constexpr std::uint64_t kPiece = 64 * 1024;
        if (in_kernel) {
            const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(length, 1u << 30));
            ssize_t n = ::copy_file_range(source.get(), &in, fd_, nullptr, want, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 &&
                (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
                in_kernel = false;  // file systems or kernels that cannot: copy by hand
                continue;
            }
            if (n < 0) return errno;
            if (n == 0) return EIO;
            length -= static_cast<std::uint64_t>(n);
            continue;
        }
        buffer.clear();
        const auto want = static_cast<std::size_t>(std::min(length, kPiece));
        if (int err = source.read_at(static_cast<std::uint64_t>(in), want, buffer); err != 0) {
            return err;
        }
        if (buffer.empty()) return EIO;
        const std::array<std::string_view, 1> piece{buffer};
        if (int err = write_all(piece); err != 0) return err;
        in += static_cast<loff_t>(buffer.size());
        length -= buffer.size();
    }
    return 0;
}

int FileDescriptor::try_lock() const {
    while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EINTR) return errno;
    }
    return 0;
}

int FileDescriptor::data_sync() const {
    while (::fdatasync(fd_) != 0) {
        if (errno != EINTR) return errno;
    }
    return 0;
}

int FileDescriptor::full_sync() const {
    while (::fsync(fd_) != 0) {
        if (errno != EINTR) return errno;
    }
    return 0;
}

int FileDescriptor::regular_file_size(std::uint64_t& out) const {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return errno;
    if (!S_ISREG(st.st_mode)) return EINVAL;
    out = static_cast<std::uint64_t>(st.st_size);
    return 0;
}

std::string describe_errno(std::string_view operation, const std::filesystem::path& path, int err) {
    return std::string(operation) + " " + path.string() + ": " +
           std::system_category().message(err);
}

bool is_disk_full(int err) {
    return err == ENOSPC || err == EDQUOT;
}

}  // namespace herald::spool
