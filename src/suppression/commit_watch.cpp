#include "suppression/commit_watch.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>

namespace herald::suppression {

namespace {

// walformat.html 2.2.1: the two copies of the 48-byte header at offsets 0 and 48, in the
// first 136 bytes (the checkpoint information follows).
constexpr std::size_t kHeaderBytes = std::tuple_size_v<CommitWatch::Stamp>;
constexpr std::size_t kIndexHeaderBytes = 136;
constexpr std::uint32_t kHeaderVersion = 3007000;
constexpr std::size_t kIsInitOffset = 12;

// Each byte read as it is now: the other processes write these bytes while we read them.
CommitWatch::Stamp copy_at(const volatile unsigned char* from) {
    CommitWatch::Stamp copy;
    for (std::size_t i = 0; i < copy.size(); ++i) copy[i] = from[i];
    return copy;
}

}  // namespace

std::unique_ptr<CommitWatch> CommitWatch::open(const std::filesystem::path& shm) {
    const int fd = ::open(shm.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return nullptr;
    struct stat status {};
    void* mapping = MAP_FAILED;
    if (::fstat(fd, &status) == 0 && status.st_size >= static_cast<off_t>(kIndexHeaderBytes)) {
        mapping = ::mmap(nullptr, kIndexHeaderBytes, PROT_READ, MAP_SHARED, fd, 0);
    }
    ::close(fd);  // the mapping stays without it
    if (mapping == MAP_FAILED) return nullptr;
    return std::unique_ptr<CommitWatch>(new CommitWatch(mapping));
}

CommitWatch::~CommitWatch() {
    ::munmap(const_cast<void*>(mapping_), kIndexHeaderBytes);
}

std::optional<CommitWatch::Stamp> CommitWatch::last_commit() const {
    const auto* header = static_cast<const volatile unsigned char*>(mapping_);
    // In the order SQLite's readers use: the first copy (written last), then the second.
    const Stamp first = copy_at(header);
    std::atomic_thread_fence(std::memory_order_acquire);
    const Stamp second = copy_at(header + kHeaderBytes);
    if (first != second || first[kIsInitOffset] != 1) return std::nullopt;
    std::uint32_t version = 0;
    std::memcpy(&version, first.data(), sizeof version);  // native byte order, as SQLite writes it
    if (version != kHeaderVersion) return std::nullopt;
    return first;
}

}  // namespace herald::suppression
