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
    std::string_view rest = buffer;
    while (!rest.empty()) {
        ssize_t n = ::write(fd_, rest.data(), rest.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ++failed_writes_;
            return;
        }
        rest.remove_prefix(static_cast<std::size_t>(n));
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
