#include "spool/incoming_text.hpp"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <utility>

namespace herald::spool {

IncomingText::IncomingText(IncomingText&& other) noexcept
    : path_(std::exchange(other.path_, {})),
      fd_(std::move(other.fd_)),
      size_(other.size_),
      error_(std::move(other.error_)),
      disk_full_(other.disk_full_) {}

IncomingText& IncomingText::operator=(IncomingText&& other) noexcept {
    if (this != &other) {
        remove();
        path_ = std::exchange(other.path_, {});
        fd_ = std::move(other.fd_);
        size_ = other.size_;
        error_ = std::move(other.error_);
        disk_full_ = other.disk_full_;
    }
    return *this;
}

IncomingText::~IncomingText() {
    remove();
}

void IncomingText::remove() {
    // Unlinked before the descriptor (and its lock) goes: no other process may take the
    // name for an unfinished write of its own in between.
    if (!path_.empty()) ::unlink(path_.c_str());
    path_.clear();
    fd_.reset();
}

void IncomingText::append(std::string_view bytes) {
    if (!error_.empty() || bytes.empty()) return;
    const std::array<std::string_view, 1> pieces{bytes};
    if (int err = fd_.write_all(pieces); err != 0) return fail("write", err);
    size_ += bytes.size();
}

int IncomingText::read_at(std::uint64_t offset, std::size_t length, std::string& out) const {
    return fd_.read_at(offset, length, out);
}

void IncomingText::fail(std::string_view operation, int err) {
    error_ = describe_errno(operation, path_, err);
    disk_full_ = err == ENOSPC || err == EDQUOT;
}

}  // namespace herald::spool
