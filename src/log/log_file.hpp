#pragma once
// One append-only log file shared by many threads. Each line goes out in a single write()
// on an O_APPEND descriptor, so lines from concurrent threads and processes (the server and
// `herald sendmail`) never interleave. reopen() supports rotation: move the file away, then
// reopen, and new lines go to a fresh file without losing any.
#include <atomic>
#include <filesystem>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace herald::log {

class LogFile {
    struct Key {};  // only open() constructs: a LogFile always has a descriptor

  public:
    LogFile(Key, std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}
    // Creates the directory and the file (mode 0640) when missing.
    static Result<std::unique_ptr<LogFile>> open(const std::filesystem::path& path);
    ~LogFile();
    LogFile(const LogFile&) = delete;
    LogFile& operator=(const LogFile&) = delete;

    // Appends `line` and a newline. The caller has made sure the line holds no newline. A
    // failing write (full disk) is counted, not thrown: logging never stops mail.
    void append(std::string_view line);
    Status reopen();

    const std::filesystem::path& path() const { return path_; }
    std::size_t failed_writes() const { return failed_writes_.load(); }

  private:
    static Result<int> open_descriptor(const std::filesystem::path& path);

    std::filesystem::path path_;
    mutable std::shared_mutex mutex_;  // shared for append, exclusive for reopen
    int fd_;
    std::atomic<std::size_t> failed_writes_{0};
};

// What each log's open() does: the file, then the writer around it.
template <typename Log>
Result<std::unique_ptr<Log>> open_log(const std::filesystem::path& path) {
    auto file = LogFile::open(path);
    if (!file) return Error{file.error()};
    return std::make_unique<Log>(std::move(*file));
}

}  // namespace herald::log
