#include "spool/incoming_text.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <utility>

#include "spool/message_id.hpp"

namespace herald::spool {

IncomingText::IncomingText(IncomingText&& other) noexcept
    : directory_(std::move(other.directory_)),
      memory_budget_(std::move(other.memory_budget_)),
      memory_(std::exchange(other.memory_, {})),
      path_(std::exchange(other.path_, {})),
      fd_(std::move(other.fd_)),
      size_(other.size_),
      error_(std::move(other.error_)),
      disk_full_(other.disk_full_) {}

IncomingText& IncomingText::operator=(IncomingText&& other) noexcept {
    if (this != &other) {
        remove();
        directory_ = std::move(other.directory_);
        memory_budget_ = std::move(other.memory_budget_);
        memory_ = std::exchange(other.memory_, {});
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
    forget_memory();
    // Unlinked before the descriptor (and its lock) goes: no other process may take the
    // name for an unfinished write of its own in between.
    if (!path_.empty()) ::unlink(path_.c_str());
    path_.clear();
    fd_.reset();
}

void IncomingText::forget_memory() {
    if (memory_budget_ && !memory_.empty()) memory_budget_->give(memory_.size());
    std::string().swap(memory_);
}

bool IncomingText::keep_in_memory(std::string_view bytes) {
    if (!error_.empty() || bytes.empty()) return true;  // append() would do nothing either
    if (on_disk() || !memory_budget_ || memory_.size() + bytes.size() > kTextKeptInMemory ||
        !memory_budget_->take(bytes.size())) {
        return false;
    }
    memory_.append(bytes);
    size_ += bytes.size();
    return true;
}

void IncomingText::append(std::string_view bytes) {
    if (keep_in_memory(bytes)) return;
    if (!on_disk()) spill();
    if (!error_.empty()) return;
    const std::array<std::string_view, 1> pieces{bytes};
    if (int err = fd_.write_all(pieces); err != 0) return fail("write", err);
    size_ += bytes.size();
}

void IncomingText::spill() {
    // Not an id (the dot): never mistaken for a message store() is writing.
    path_ = directory_ / (new_message_id() + ".text");
    fd_ = FileDescriptor::open(path_, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (!fd_) {
        const int err = errno;
        path_.clear();  // not ours to unlink
        return fail("create", err);
    }
    // Held while it lives: recover() in another process (herald sendmail) leaves it alone.
    if (::flock(fd_.get(), LOCK_EX) != 0) return fail("lock", errno);
    const std::array<std::string_view, 1> pieces{memory_};
    if (int err = fd_.write_all(pieces); err != 0) return fail("write", err);
    forget_memory();
}

int IncomingText::read_at(std::uint64_t offset, std::size_t length, std::string& out) const {
    if (on_disk()) return fd_.read_at(offset, length, out);
    if (offset < memory_.size()) out.append(std::string_view(memory_).substr(offset, length));
    return 0;
}

int IncomingText::copy_to(const FileDescriptor& out, std::uint64_t offset,
                          std::uint64_t length) const {
    if (on_disk()) return out.copy_from(fd_, offset, length);
    if (offset > memory_.size()) return EINVAL;
    const std::array<std::string_view, 1> pieces{std::string_view(memory_).substr(offset, length)};
    return out.write_all(pieces);
}

void IncomingText::fail(std::string_view operation, int err) {
    error_ = describe_errno(operation, path_.empty() ? directory_ : path_, err);
    disk_full_ = is_disk_full(err);
}

}  // namespace herald::spool
