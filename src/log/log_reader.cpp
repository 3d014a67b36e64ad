#include "log/log_reader.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>
#include <system_error>

namespace herald::log {
namespace {

// zlib's own buffer for compressed input: large reads keep inflate busy.
constexpr unsigned kZlibBuffer = 256 * 1024;

// N for "<name>.<N>" or "<name>.<N>.gz" (compressed set), else nullopt.
std::optional<unsigned> generation_of(std::string_view file, std::string_view name,
                                      bool& compressed) {
    if (file.size() <= name.size() + 1 || !file.starts_with(name) || file[name.size()] != '.') {
        return std::nullopt;
    }
    auto suffix = file.substr(name.size() + 1);
    compressed = suffix.ends_with(".gz");
    if (compressed) suffix.remove_suffix(3);
    unsigned n = 0;
    auto [end, ec] = std::from_chars(suffix.data(), suffix.data() + suffix.size(), n);
    if (ec != std::errc() || end != suffix.data() + suffix.size() || suffix.empty() ||
        suffix.front() == '0') {
        return std::nullopt;
    }
    return n;
}

}  // namespace

std::vector<std::filesystem::path> log_generations(const std::filesystem::path& log) {
    namespace fs = std::filesystem;
    std::map<unsigned, fs::path, std::greater<>> rotated;  // oldest (highest N) first
    std::error_code ec;
    auto dir = log.has_parent_path() ? log.parent_path() : fs::path(".");
    auto name = log.filename().string();
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        bool compressed = false;
        auto n = generation_of(it->path().filename().string(), name, compressed);
        if (!n || !it->is_regular_file(ec)) continue;
        auto [slot, inserted] = rotated.emplace(*n, it->path());
        if (!inserted && !compressed) slot->second = it->path();
    }
    std::vector<fs::path> files;
    for (auto& [n, path] : rotated) files.push_back(std::move(path));
    if (fs::exists(log, ec)) files.push_back(log);
    return files;
}

void LogReader::GzClose::operator()(gzFile_s* file) const {
    gzclose(file);
}

LogReader::LogReader(std::vector<std::filesystem::path> files)
    : files_(std::move(files)), buffer_(std::make_unique<char[]>(kMaxLine)) {}

LogReader::~LogReader() = default;

std::optional<std::string_view> LogReader::next() {
    for (;;) {
        if (auto line = take_line()) return line;
        if (fill()) continue;
        if (!open_next_file()) return std::nullopt;
    }
}

std::optional<std::string_view> LogReader::take_line() {
    while (begin_ < end_) {
        const char* start = buffer_.get() + begin_;
        std::size_t available = end_ - begin_;
        const auto* newline = static_cast<const char*>(std::memchr(start, '\n', available));
        if (newline) {
            auto length = static_cast<std::size_t>(newline - start);
            begin_ += length + 1;
            if (skipping_) {
                skipping_ = false;
                continue;
            }
            return std::string_view(start, length);
        }
        if (skipping_) {
            begin_ = end_ = 0;
            return std::nullopt;
        }
        if (at_eof_ || available == kMaxLine) {
            // The file's last line without a newline, or a line too long for the buffer:
            // hand out what there is (and for the long line, skip what follows of it).
            skipping_ = !at_eof_;
            begin_ = end_;
            return std::string_view(start, available);
        }
        return std::nullopt;
    }
    return std::nullopt;
}

bool LogReader::fill() {
    if (at_eof_ || !file_) return false;
    if (begin_ > 0) {
        std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }
    int n = gzread(file_.get(), buffer_.get() + end_, static_cast<unsigned>(kMaxLine - end_));
    if (n <= 0) {
        at_eof_ = true;
        int code = Z_OK;
        const char* message = gzerror(file_.get(), &code);
        if (n < 0 || code != Z_OK) {
            errors_.push_back(current_.string() + ": " +
                              (code == Z_ERRNO ? std::strerror(errno) : message));
        }
        return true;  // what is left in the buffer is the last line
    }
    end_ += static_cast<std::size_t>(n);
    bytes_read_ += static_cast<std::size_t>(n);
    return true;
}

bool LogReader::open_next_file() {
    file_.reset();
    begin_ = end_ = 0;
    skipping_ = false;
    while (next_file_ < files_.size()) {
        current_ = files_[next_file_++];
        // gzread() reads a file that is not gzip'd as it is: one path for both kinds.
        file_.reset(gzopen(current_.c_str(), "rb"));
        if (!file_) {
            errors_.push_back(current_.string() + ": " + std::strerror(errno));
            continue;
        }
        gzbuffer(file_.get(), kZlibBuffer);
        at_eof_ = false;
        return true;
    }
    at_eof_ = true;
    return false;
}

}  // namespace herald::log
