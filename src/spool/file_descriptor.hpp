#pragma once
// An owned POSIX file descriptor and the few system calls the spool makes through it, each
// retried on EINTR and each reporting errno, which store() needs to tell a full disk apart.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace herald::spool {

class FileDescriptor {
  public:
    FileDescriptor() = default;
    explicit FileDescriptor(int fd) : fd_(fd) {}
    FileDescriptor(FileDescriptor&& other) noexcept : fd_(other.release()) {}
    FileDescriptor& operator=(FileDescriptor&& other) noexcept;
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor() { reset(); }

    // open(2) with O_CLOEXEC; an invalid descriptor with errno set on failure. O_NOATIME in
    // `flags` is a wish: only the file's owner may make it, so for anyone else (an admin's
    // `herald queue`) the file is opened without it.
    static FileDescriptor open(const std::filesystem::path& path, int flags, mode_t mode = 0600);
    // openat(2): `name` in the open `directory`.
    static FileDescriptor open_in(const FileDescriptor& directory, const std::string& name,
                                  int flags, mode_t mode = 0600);

    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    int release();
    void reset();

    // Each returns 0, or the errno of the failure.
    int write_all(std::span<const std::string_view> pieces) const;
    int pwrite_byte(char byte, std::uint64_t offset) const;
    int read_at(std::uint64_t offset, std::size_t length, std::string& out) const;  // appends
    // One pread: may get less than `length` without being at the end of the file.
    int read_some_at(std::uint64_t offset, std::size_t length, std::string& out) const;
    // Appends `length` octets of `source` from `offset` at this file's position: in the
    // kernel (copy_file_range), else by reads and writes of 64 KiB. EIO if `source` is short.
    int copy_from(const FileDescriptor& source, std::uint64_t offset, std::uint64_t length) const;
    int data_sync() const;
    // flock(LOCK_EX | LOCK_NB): 0, EWOULDBLOCK when another open file holds it, or the error.
    int try_lock() const;
    int full_sync() const;
    int regular_file_size(std::uint64_t& out) const;  // EINVAL for a FIFO, a device, ...

  private:
    int fd_ = -1;
};

// "open /var/spool/queue/ab/ID: No such file or directory".
std::string describe_errno(std::string_view operation, const std::filesystem::path& path, int err);

// Whether `err` says the file system is full (ENOSPC, EDQUOT): the client is then told 452.
bool is_disk_full(int err);

}  // namespace herald::spool
