#pragma once
// A message's text while it arrives: appended, as it comes, to a file in <spool>/incoming/,
// so that no connection holds a message in memory (a client sending 10 MB holds 10 MB of
// disk, not of RAM). Spool::store() copies it into the queue file. The file never counts:
// it is removed when this object goes (the message was stored or refused, or its client went
// away) and, after a crash, by Spool::recover(); it is locked while it lives, so that a
// recovery in another process leaves it alone.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "spool/file_descriptor.hpp"

namespace herald::spool {

class IncomingText {
  public:
    IncomingText(IncomingText&& other) noexcept;
    IncomingText& operator=(IncomingText&&) noexcept;
    IncomingText(const IncomingText&) = delete;
    IncomingText& operator=(const IncomingText&) = delete;
    ~IncomingText();

    // Blocking (a write): call it off the event loop. After a failure (here or when the
    // file was created) nothing more is written and error() says why.
    void append(std::string_view bytes);

    std::uint64_t size() const { return size_; }
    // "" while all is well, else what failed ("write /spool/incoming/...: No space left").
    const std::string& error() const { return error_; }
    bool disk_full() const { return disk_full_; }

    // Appends up to `length` octets from `offset` to `out`; 0 or an errno.
    int read_at(std::uint64_t offset, std::size_t length, std::string& out) const;
    const FileDescriptor& file() const { return fd_; }
    const std::filesystem::path& path() const { return path_; }

  private:
    friend class Spool;
    IncomingText(std::filesystem::path path, FileDescriptor fd)
        : path_(std::move(path)), fd_(std::move(fd)) {}
    void fail(std::string_view operation, int err);
    void remove();

    std::filesystem::path path_;
    FileDescriptor fd_;
    std::uint64_t size_ = 0;
    std::string error_;
    bool disk_full_ = false;
};

}  // namespace herald::spool
