#pragma once
// One append-only log file shared by many threads. Each line goes out in a single write()
// on an O_APPEND descriptor, so lines from concurrent threads and processes (the server and
// `herald sendmail`) never interleave. reopen() supports rotation: move the file away, then
// reopen, and new lines go to a fresh file without losing any.
#include <atomic>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
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
    // failing write (full disk, an immutable file) loses the line but never throws: logging
    // never stops mail. The trouble is told to the reporter when it starts and when the file
    // takes lines again (with how many were lost); a line cut short by a full disk is ended
    // by the first write that succeeds, so the next line starts on a line of its own.
    void append(std::string_view line);
    Status reopen();

    // Called with one line of text, never from within another append to this file.
    using TroubleReporter = std::function<void(std::string_view)>;
    void set_trouble_reporter(TroubleReporter reporter) { reporter_ = std::move(reporter); }

    const std::filesystem::path& path() const { return path_; }

  private:
    struct Written {
        std::size_t bytes = 0;
        int error = 0;  // 0: all of it
    };
    static Result<int> open_descriptor(const std::filesystem::path& path);
    Written write_all(std::string_view bytes) const;
    void append_in_trouble(const std::string& buffer);
    void lost(const Written& written, bool started_with_newline);

    std::filesystem::path path_;
    mutable std::shared_mutex mutex_;  // shared for append, exclusive for reopen
    int fd_;
    TroubleReporter reporter_;
    // While a write fails, appends take trouble_mutex_ in turn: the state below is theirs.
    std::atomic<bool> in_trouble_{false};
    std::mutex trouble_mutex_;
    bool torn_ = false;         // the file ends with part of a line
    std::size_t lost_now_ = 0;  // since the trouble began
};

// What each log's open() does: the file, then the writer around it.
template <typename Log>
Result<std::unique_ptr<Log>> open_log(const std::filesystem::path& path) {
    auto file = LogFile::open(path);
    if (!file) return Error{file.error()};
    return std::make_unique<Log>(std::move(*file));
}

}  // namespace herald::log
