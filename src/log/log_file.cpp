#include "log/log_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <system_error>

namespace herald::log {

Result<int> LogFile::open_descriptor(const std::filesystem::path& path) {
    std::error_code ec;
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) return Error{"mkdir " + path.parent_path().string() + ": " + ec.message()};
    int fd;
    do {
        fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return Error{"open " + path.string() + ": " + std::system_category().message(errno)};
    return fd;
}

Result<std::unique_ptr<LogFile>> LogFile::open(const std::filesystem::path& path) {
    auto fd = open_descriptor(path);
    if (!fd) return Error{fd.error()};
    return std::make_unique<LogFile>(Key{}, path, *fd);
}

LogFile::~LogFile() {
    ::close(fd_);
}

void LogFile::append(std::string_view line) {
    std::string buffer;
    buffer.reserve(line.size() + 1);
    buffer.append(line);
    buffer.push_back('\n');
    std::shared_lock lock(mutex_);
    if (!in_trouble_.load(std::memory_order_acquire)) {
        const Written written = write_all(buffer);
        if (written.error == 0) return;
        std::lock_guard trouble(trouble_mutex_);
        lost(written, false);
        return;
    }
    append_in_trouble(buffer);
}

LogFile::Written LogFile::write_all(std::string_view bytes) const {
    Written written;
    while (written.bytes < bytes.size()) {
        const ssize_t n = ::write(fd_, bytes.data() + written.bytes, bytes.size() - written.bytes);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            written.error = n < 0 ? errno : ENOSPC;
            return written;
        }
        written.bytes += static_cast<std::size_t>(n);
    }
    return written;
}

void LogFile::append_in_trouble(const std::string& buffer) {
    std::lock_guard trouble(trouble_mutex_);
    const std::string out = torn_ ? "\n" + buffer : buffer;
    const Written written = write_all(out);
    if (written.error != 0) {
        lost(written, torn_);
        return;
    }
    const std::size_t lost = lost_now_;
    torn_ = false;
    lost_now_ = 0;
    in_trouble_.store(false, std::memory_order_release);
    if (reporter_) {
        reporter_(path_.string() + ": written again; " + std::to_string(lost) +
                  (lost == 1 ? " line was" : " lines were") + " lost");
    }
}

// Called with trouble_mutex_ held.
void LogFile::lost(const Written& written, bool started_with_newline) {
    ++lost_now_;
    // Only the newline that ends the earlier fragment made it: no new fragment.
    if (written.bytes > 0) torn_ = !(started_with_newline && written.bytes == 1);
    if (in_trouble_.exchange(true, std::memory_order_acq_rel)) return;
    if (reporter_) {
        reporter_(path_.string() +
                  ": cannot write: " + std::system_category().message(written.error) +
                  "; its lines are lost until it can be written again");
    }
}

Status LogFile::reopen() {
    auto fd = open_descriptor(path_);
    if (!fd) return Error{fd.error()};
    std::unique_lock lock(mutex_);
    ::close(fd_);
    fd_ = *fd;
    return ok_status();
}

}  // namespace herald::log
