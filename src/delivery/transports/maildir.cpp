#include "delivery/transports/maildir.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>

#include <fmt/format.h>

#include "delivery/transports/posix_file.hpp"

namespace herald::delivery {

namespace {

// The spec: "/" and ":" in the host name are written as \057 and \072, since ":" starts the
// info part of a name in cur/ and "/" would make it a path.
std::string maildir_host_name() {
    char buf[HOST_NAME_MAX + 1] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
    std::string host;
    for (const char* p = buf; *p; ++p) {
        if (*p == '/') {
            host += "\\057";
        } else if (*p == ':') {
            host += "\\072";
        } else {
            host += *p;
        }
    }
    return host;
}

Status create_maildir(const std::filesystem::path& dir) {
    for (const char* sub : {"tmp", "new", "cur"}) {
        if (auto made = make_private_directories(dir / sub); !made) return made;
    }
    return ok_status();
}

// Writes the file in tmp/ and fsyncs it; on failure nothing is left behind.
Status write_durably(const std::filesystem::path& file, std::string_view content) {
    auto fd = open_file(file, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (!fd) return Error{fd.error()};
    Status written = write_all(fd->get(), content, file);
    if (written) written = fsync_file(fd->get(), file);
    if (written && ::close(fd->release()) != 0) written = Error{io_error("close", file, errno)};
    if (!written) ::unlink(file.c_str());
    return written;
}

// link, not rename, as the spec says: link refuses to replace a file that is somehow
// already there. Filesystems without hard links get rename.
Status move_into_new(const std::filesystem::path& tmp, const std::filesystem::path& fresh) {
    int moved = ::link(tmp.c_str(), fresh.c_str());
    if (moved != 0 && (errno == EPERM || errno == ENOTSUP || errno == ENOSYS)) {
        moved = ::rename(tmp.c_str(), fresh.c_str());
    }
    int err = errno;
    ::unlink(tmp.c_str());
    if (moved != 0) return Error{io_error("link", fresh, err)};
    return ok_status();
}

}  // namespace

std::string maildir_unique_name(std::size_t size) {
    static const std::string host = maildir_host_name();
    static std::atomic<unsigned long> deliveries{0};
    auto now = std::chrono::system_clock::now().time_since_epoch();
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(now);
    auto usec = std::chrono::duration_cast<std::chrono::microseconds>(now - secs).count();
    return fmt::format("{}.M{}P{}Q{}.{},S={}", secs.count(), usec, ::getpid(), ++deliveries, host,
                       size);
}

Result<std::filesystem::path> maildir_deliver(const std::filesystem::path& dir,
                                              std::string_view content) {
    if (auto made = create_maildir(dir); !made) return Error{made.error()};
    std::string name = maildir_unique_name(content.size());
    auto tmp = dir / "tmp" / name;
    auto fresh = dir / "new" / name;
    if (auto written = write_durably(tmp, content); !written) return Error{written.error()};
    if (auto moved = move_into_new(tmp, fresh); !moved) return Error{moved.error()};
    if (auto synced = fsync_directory(dir / "new"); !synced) {
        ::unlink(fresh.c_str());
        return Error{synced.error()};
    }
    return fresh;
}

Result<std::string> MaildirTransport::store(const std::filesystem::path& mailbox,
                                            const message::Envelope&, std::string_view copy) {
    auto saved = maildir_deliver(mailbox, copy);
    if (!saved) return Error{saved.error()};
    return saved->string();
}

}  // namespace herald::delivery
