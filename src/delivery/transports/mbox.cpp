#include "delivery/transports/mbox.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "delivery/transports/posix_file.hpp"

namespace herald::delivery {

namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr auto kLockRetryInterval = std::chrono::milliseconds(20);

bool is_quotable_from_line(std::string_view line) {
    auto first = line.find_first_not_of('>');
    return first != std::string_view::npos && line.substr(first).starts_with("From ");
}

// A sender with a space or control (a quoted local part) would break the "From " line's
// fields; readers only need the line to start with "From ".
std::string from_line_sender(std::string_view sender) {
    if (sender.empty()) return "MAILER-DAEMON";
    std::string out(sender);
    for (char& c : out) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f) c = '_';
    }
    return out;
}

std::string lock_busy(const std::filesystem::path& path) {
    return "lock " + path.string() + ": mailbox locked by another program";
}

// <file>.lock created with O_EXCL: the lock mail(1), mutt and procmail take.
class DotLock {
  public:
    static Result<DotLock> acquire(const std::filesystem::path& mailbox,
                                   SteadyClock::time_point deadline, std::chrono::seconds stale);
    DotLock(DotLock&& other) noexcept : path_(std::exchange(other.path_, {})) {}
    DotLock& operator=(DotLock&&) = delete;
    ~DotLock() {
        if (!path_.empty()) ::unlink(path_.c_str());
    }

  private:
    explicit DotLock(std::filesystem::path path) : path_(std::move(path)) {}
    static bool is_stale(const std::filesystem::path& lock, std::chrono::seconds stale);

    std::filesystem::path path_;
};

bool DotLock::is_stale(const std::filesystem::path& lock, std::chrono::seconds stale) {
    struct stat st {};
    if (::stat(lock.c_str(), &st) != 0) return false;  // gone already: just try again
    return std::time(nullptr) - st.st_mtime > stale.count();
}

Result<DotLock> DotLock::acquire(const std::filesystem::path& mailbox,
                                 SteadyClock::time_point deadline, std::chrono::seconds stale) {
    auto lock = mailbox;
    lock += ".lock";
    for (;;) {
        int fd = ::open(lock.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) {
            ::close(fd);
            return DotLock(lock);
        }
        if (errno == EINTR) continue;
        if (errno != EEXIST) return Error{io_error("create", lock, errno)};
        if (is_stale(lock, stale)) {
            ::unlink(lock.c_str());
            continue;
        }
        if (SteadyClock::now() >= deadline) return Error{lock_busy(mailbox)};
        std::this_thread::sleep_for(kLockRetryInterval);
    }
}

// An open-file-description lock: excludes other threads of this process as well as other
// processes, and conflicts with the classic fcntl locks other programs take (fcntl(2)).
// Polled, not F_SETLKW, so that a stuck holder defers the delivery instead of hanging.
Status lock_whole_file(int fd, const std::filesystem::path& file,
                       SteadyClock::time_point deadline) {
    int command = F_OFD_SETLK;
    for (;;) {
        struct flock fl {};
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
        if (::fcntl(fd, command, &fl) == 0) return ok_status();
        if (errno == EINVAL && command == F_OFD_SETLK) {
            command = F_SETLK;  // kernels before 3.15; the dotlock still orders our threads
            continue;
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EACCES) return Error{io_error("lock", file, errno)};
        if (SteadyClock::now() >= deadline) return Error{lock_busy(file)};
        std::this_thread::sleep_for(kLockRetryInterval);
    }
}

// What to write before the entry so that it starts on a line of its own after a blank line,
// even when the previous writer left the file without one.
Result<std::string> separation_needed(int fd, off_t size, const std::filesystem::path& file) {
    if (size == 0) return std::string();
    char tail[2] = {'\n', '\n'};
    off_t from = size >= 2 ? size - 2 : 0;
    ssize_t n = ::pread(fd, tail + (size >= 2 ? 0 : 1), size >= 2 ? 2 : 1, from);
    if (n < 0) return Error{io_error("read", file, errno)};
    if (tail[1] != '\n') return std::string("\n\n");
    if (tail[0] != '\n') return std::string("\n");
    return std::string();
}

Status append_locked(int fd, const std::filesystem::path& file, std::string_view entry) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return Error{io_error("stat", file, errno)};
    // A hard link would let the mail land in a file someone else chose.
    if (!S_ISREG(st.st_mode) || st.st_nlink > 1) {
        return Error{"open " + file.string() + ": not a plain mailbox file"};
    }
    auto separation = separation_needed(fd, st.st_size, file);
    if (!separation) return Error{separation.error()};
    Status written = write_all(fd, *separation, file);
    if (written) written = write_all(fd, entry, file);
    if (written) written = fsync_file(fd, file);
    if (!written) {
        // Never leave half a message: the next reader would take its tail for mail.
        if (::ftruncate(fd, st.st_size) == 0) ::fsync(fd);
        return written;
    }
    if (st.st_size == 0) return fsync_directory(file.parent_path());  // the name may be new
    return ok_status();
}

}  // namespace

std::string mboxrd_quote(std::string_view content) {
    std::string out;
    out.reserve(content.size() + content.size() / 64);
    while (!content.empty()) {
        auto end = content.find('\n');
        auto line = content.substr(0, end == std::string_view::npos ? content.size() : end + 1);
        if (is_quotable_from_line(line)) out += '>';
        out += line;
        content.remove_prefix(line.size());
    }
    return out;
}

std::string mbox_from_line(std::string_view sender, std::chrono::system_clock::time_point t) {
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    localtime_r(&secs, &tm);
    // asctime(3): "Thu Nov  4 18:22:48 1986", the day padded with a space.
    return fmt::format("From {} {} {} {:>2} {:02}:{:02}:{:02} {}\n", from_line_sender(sender),
                       kDays[tm.tm_wday], kMonths[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min,
                       tm.tm_sec, tm.tm_year + 1900);
}

std::string mbox_entry(std::string_view sender, std::chrono::system_clock::time_point t,
                       std::string_view content) {
    std::string entry = mbox_from_line(sender, t);
    entry += mboxrd_quote(content);
    if (entry.back() != '\n') entry += '\n';
    entry += '\n';
    return entry;
}

Status mbox_append(const std::filesystem::path& file, std::string_view entry,
                   const MboxLocking& locking) {
    if (auto made = make_private_directories(file.parent_path()); !made) return made;
    auto deadline = SteadyClock::now() + locking.wait;
    auto dotlock = DotLock::acquire(file, deadline, locking.stale);
    if (!dotlock) return Error{dotlock.error()};
    auto fd = open_file(file, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW, 0600);
    if (!fd) return Error{fd.error()};
    if (auto locked = lock_whole_file(fd->get(), file, deadline); !locked) return locked;
    return append_locked(fd->get(), file, entry);
}

Result<std::string> MboxTransport::store(const std::filesystem::path& mailbox,
                                         const message::Envelope& envelope, std::string_view copy) {
    auto entry = mbox_entry(envelope.sender, std::chrono::system_clock::now(), copy);
    if (auto appended = mbox_append(mailbox, entry, locking_); !appended) {
        return Error{appended.error()};
    }
    return mailbox.string();
}

}  // namespace herald::delivery
