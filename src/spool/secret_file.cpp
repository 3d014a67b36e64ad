#include "spool/secret_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "spool/file_descriptor.hpp"

namespace herald::spool {

namespace {

// 256 bits: no guessing over a socket, however many tries.
constexpr std::size_t kTokenBytes = 32;
// Ours are 65 bytes; anything much bigger is not a secret file.
constexpr std::size_t kMaxTokenFile = 1024;
constexpr std::size_t kMinTokenLength = 16;  // as [admin] token

bool is_token_char(char c) {
    return c > ' ' && c < 0x7f;
}

Result<std::string> generate() {
    std::array<unsigned char, kTokenBytes> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
        return Error{"the random generator failed"};
    }
    constexpr std::string_view kHex = "0123456789abcdef";
    std::string token;
    for (unsigned char b : bytes) {
        token += kHex[b >> 4];
        token += kHex[b & 0xf];
    }
    return token;
}

Result<std::string> read_token(const std::filesystem::path& path) {
    auto fd = FileDescriptor::open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    if (!fd) return Error{describe_errno("open", path, errno)};
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return Error{describe_errno("stat", path, errno)};
    if (!S_ISREG(st.st_mode)) return Error{path.string() + ": not a regular file"};
    if (st.st_uid != ::geteuid()) {
        return Error{path.string() + ": owned by another user; remove it or chown it"};
    }
    if ((st.st_mode & 077) != 0) {
        return Error{fmt::format(
            "{}: others may read it (mode {:03o}); chmod 600 it, or remove it and restart for "
            "a new token",
            path.string(), st.st_mode & 0777)};
    }
    std::string text;
    if (int err = fd.read_at(0, kMaxTokenFile + 1, text); err != 0) {
        return Error{describe_errno("read", path, err)};
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (text.size() < kMinTokenLength || text.size() > kMaxTokenFile ||
        !std::all_of(text.begin(), text.end(), is_token_char)) {
        return Error{path.string() +
                     ": holds no usable token (16 or more printable characters, no spaces); "
                     "remove it and restart for a new one"};
    }
    return text;
}

}  // namespace

Result<std::string> load_or_create_secret(const std::filesystem::path& spool_dir,
                                          std::string_view name) {
    const auto path = spool_dir / name;
    if (::access(path.c_str(), F_OK) == 0 || errno != ENOENT) return read_token(path);

    auto token = generate();
    if (!token) return token;
    const auto temporary = spool_dir / (std::string(name) + ".new." + std::to_string(::getpid()));
    ::unlink(temporary.c_str());  // a leftover of a crash with our pid
    {
        // 0600 from the first instant: the token is never readable by others, not even
        // between open and chmod.
        auto fd = FileDescriptor::open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
        if (!fd) return Error{describe_errno("create", temporary, errno)};
        const std::string line = *token + "\n";
        const std::array<std::string_view, 1> pieces{line};
        int err = fd.write_all(pieces);
        if (err == 0) err = fd.full_sync();
        if (err != 0) {
            ::unlink(temporary.c_str());
            return Error{describe_errno("write", temporary, err)};
        }
    }
    // link(2) never replaces: if another start created the file meanwhile, theirs stands.
    int linked = ::link(temporary.c_str(), path.c_str());
    int err = errno;
    ::unlink(temporary.c_str());
    if (linked != 0 && err != EEXIST) return Error{describe_errno("link", path, err)};
    if (auto dir = FileDescriptor::open(spool_dir, O_RDONLY | O_DIRECTORY)) dir.full_sync();
    return read_token(path);
}

}  // namespace herald::spool
