#pragma once
// A message's text while it arrives. Its first octets are kept in memory, up to
// kTextKeptInMemory and within the spool's TextMemory budget; a text that grows beyond goes,
// whole and from then on as it comes, to a file in <spool>/incoming/, so that no connection
// holds a large message in memory (a client sending 10 MB holds 10 MB of disk, not of RAM).
// Spool::store() copies it into the queue file. The file never counts: it is removed when
// this object goes (the message was stored or refused, or its client went away) and, after a
// crash, by Spool::recover(); it is locked while it lives, so that a recovery in another
// process leaves it alone.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "spool/file_descriptor.hpp"
#include "spool/text_memory.hpp"

namespace herald::spool {

inline constexpr std::size_t kTextKeptInMemory = 64 * 1024;

class IncomingText {
  public:
    IncomingText(IncomingText&& other) noexcept;
    IncomingText& operator=(IncomingText&&) noexcept;
    IncomingText(const IncomingText&) = delete;
    IncomingText& operator=(const IncomingText&) = delete;
    ~IncomingText();

    // Keeps the bytes in memory when they fit: no I/O, fit for the event loop. False, with
    // nothing done, when they must go to the file: append() them then, off the event loop.
    bool keep_in_memory(std::string_view bytes);
    // Blocking when the text is or goes to its file: call it off the event loop. After a
    // failure (here or when the file was created) nothing more is written and error() says why.
    void append(std::string_view bytes);

    std::uint64_t size() const { return size_; }
    // "" while all is well, else what failed ("write /spool/incoming/...: No space left").
    const std::string& error() const { return error_; }
    bool disk_full() const { return disk_full_; }
    // Whether the text is in a file: reading, copying or removing it then blocks.
    bool on_disk() const { return static_cast<bool>(fd_); }

    // Appends up to `length` octets from `offset` to `out`; 0 or an errno.
    int read_at(std::uint64_t offset, std::size_t length, std::string& out) const;
    // Writes `length` octets from `offset` to the end of `out`; 0 or an errno.
    int copy_to(const FileDescriptor& out, std::uint64_t offset, std::uint64_t length) const;
    // The file's; "" while the text is in memory.
    const std::filesystem::path& path() const { return path_; }

  private:
    friend class Spool;
    IncomingText(std::filesystem::path directory, std::shared_ptr<TextMemory> memory)
        : directory_(std::move(directory)), memory_budget_(std::move(memory)) {}
    // To the file: created, locked, and given what memory held.
    void spill();
    void forget_memory();
    void fail(std::string_view operation, int err);
    void remove();

    std::filesystem::path directory_;  // incoming/, where the file goes
    std::shared_ptr<TextMemory> memory_budget_;
    std::string memory_;  // the text, while it is not on disk
    std::filesystem::path path_;
    FileDescriptor fd_;
    std::uint64_t size_ = 0;
    std::string error_;
    bool disk_full_ = false;
};

}  // namespace herald::spool
