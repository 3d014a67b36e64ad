#include "spool/free_space.hpp"

#include <sys/statvfs.h>

#include <limits>

namespace herald::spool {

std::optional<std::uint64_t> free_bytes(const std::filesystem::path& dir) {
    struct statvfs fs {};
    if (::statvfs(dir.c_str(), &fs) != 0) return std::nullopt;
    return static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
}

bool has_room_for(std::uint64_t free, std::uint64_t size, std::uint64_t reserve) {
    constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
    // SIZE comes from the client: no overflow may turn a huge one into a small need.
    if (size > (kMax - reserve) / 2) return false;
    const std::uint64_t needed = size + size / 2 + reserve;
    return free >= needed;
}

}  // namespace herald::spool
