#pragma once
// The few POSIX file operations that make a local delivery durable: an owned descriptor, a
// write that finishes or says why not, and fsync of a directory so that a new name survives
// a crash (the maildir and mbox transports count a delivery only once this has returned).
#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace herald::delivery {

class UniqueFd {
  public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept;
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }

    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    int release();
    void reset();

  private:
    int fd_ = -1;
};

// "write var/mail/alice: No space left on device": what the log and a bounce show.
std::string io_error(std::string_view operation, const std::filesystem::path& path, int err);

Result<UniqueFd> open_file(const std::filesystem::path& path, int flags, int mode = 0600);
Status write_all(int fd, std::string_view bytes, const std::filesystem::path& path);
Status fsync_file(int fd, const std::filesystem::path& path);
Status fsync_directory(const std::filesystem::path& dir);

// mkdir -p with mode 0700; the parent of every directory it creates is fsync'd.
Status make_private_directories(const std::filesystem::path& dir);

}  // namespace herald::delivery
