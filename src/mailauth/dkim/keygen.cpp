#include "mailauth/dkim/keygen.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <cerrno>
#include <cstring>

namespace herald::mailauth::dkim {

namespace {

constexpr std::size_t kMaxCharacterString = 255;

Status write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return Error{std::strerror(errno)};
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return ok_status();
}

}  // namespace

Status write_private_key(const PrivateKey& key, const std::filesystem::path& file) {
    std::string pem = key.to_pem();
    if (pem.empty()) return Error{"cannot encode the private key"};
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        const int err = errno;
        OPENSSL_cleanse(pem.data(), pem.size());
        if (err == EEXIST) return Error{file.string() + ": already exists, not overwritten"};
        return Error{file.string() + ": " + std::strerror(err)};
    }
    Status written = write_all(fd, pem);
    OPENSSL_cleanse(pem.data(), pem.size());
    if (written && ::fsync(fd) != 0) written = Error{std::strerror(errno)};
    ::close(fd);
    if (!written) {
        ::unlink(file.c_str());
        return Error{file.string() + ": " + written.error()};
    }
    return ok_status();
}

std::string zone_file_record(std::string_view selector, std::string_view domain,
                             std::string_view record_text) {
    std::string line = std::string(selector) + "._domainkey." + std::string(domain) + ". IN TXT (";
    while (!record_text.empty()) {
        const std::size_t n = std::min(kMaxCharacterString, record_text.size());
        line += " \"" + std::string(record_text.substr(0, n)) + "\"";
        record_text.remove_prefix(n);
    }
    line += " )";
    return line;
}

}  // namespace herald::mailauth::dkim
