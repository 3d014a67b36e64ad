#pragma once
// Reads a log with its rotated generations as one stream of lines, oldest first:
//   mainlog.N[.gz] ... mainlog.2[.gz] mainlog.1[.gz] mainlog
// Compressed generations (gzip) are read through zlib. Built for `herald summary` over
// gigabytes: big buffered reads, lines handed out as views into the buffer, no allocation
// per line.
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct gzFile_s;

namespace herald::log {

// The files of `log` that exist, oldest first: "<log>.<N>" and "<log>.<N>.gz" by N from
// the highest down (when both exist the plain one wins: its .gz may still be being
// written), then `log` itself.
std::vector<std::filesystem::path> log_generations(const std::filesystem::path& log);

class LogReader {
  public:
    // A line longer than this is handed out cut to this length; the rest of it is skipped.
    static constexpr std::size_t kMaxLine = 1 << 20;

    explicit LogReader(std::vector<std::filesystem::path> files);
    ~LogReader();
    LogReader(const LogReader&) = delete;
    LogReader& operator=(const LogReader&) = delete;

    // The next line without its newline: valid until the next call. nullopt after the last
    // line of the last file. A last line without a newline counts as a line.
    std::optional<std::string_view> next();

    // Files that could not be opened or were damaged (a truncated gzip stream), one line
    // each; reading went on with the next file.
    const std::vector<std::string>& errors() const { return errors_; }
    // Bytes of log text read so far (after decompression).
    std::size_t bytes_read() const { return bytes_read_; }

  private:
    struct GzClose {
        void operator()(gzFile_s* file) const;
    };

    bool open_next_file();
    bool fill();
    std::optional<std::string_view> take_line();

    std::vector<std::filesystem::path> files_;
    std::size_t next_file_ = 0;
    std::unique_ptr<gzFile_s, GzClose> file_;
    std::filesystem::path current_;
    std::unique_ptr<char[]> buffer_;
    std::size_t begin_ = 0;  // unread text is buffer_[begin_, end_)
    std::size_t end_ = 0;
    bool at_eof_ = true;
    bool skipping_ = false;  // inside an overlong line whose start was handed out
    std::size_t bytes_read_ = 0;
    std::vector<std::string> errors_;
};

}  // namespace herald::log
