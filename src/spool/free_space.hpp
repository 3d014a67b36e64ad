#pragma once
// Room on the spool's file system for a message announced with SIZE (RFC 1870), asked at
// MAIL so that a client hears 452 4.3.1 at once rather than after sending the whole message.
#include <cstdint>
#include <filesystem>
#include <optional>

namespace herald::spool {

// Bytes an unprivileged writer may still use on the file system of `dir` (statvfs f_bavail);
// nullopt when it cannot be told.
std::optional<std::uint64_t> free_bytes(const std::filesystem::path& dir);

// As Postfix does, a message needs half its size again beside it (its envelope, and the
// copies in flight of the messages arriving with it), and `reserve` bytes stay free for the
// queue's own work (schedules, bounces, logs on the same disk).
bool has_room_for(std::uint64_t free, std::uint64_t size, std::uint64_t reserve);

}  // namespace herald::spool
