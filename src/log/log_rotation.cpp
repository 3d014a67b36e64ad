#include "log/log_rotation.hpp"

#include <string>
#include <system_error>

namespace herald::log {

namespace {

std::filesystem::path generation(const std::filesystem::path& path, std::size_t n,
                                 const char* suffix = "") {
    return path.string() + "." + std::to_string(n) + suffix;
}

// Renames `from` to `to` when `from` exists.
Status move_if_present(const std::filesystem::path& from, const std::filesystem::path& to) {
    std::error_code ec;
    if (!std::filesystem::exists(from, ec)) return ok_status();
    std::filesystem::rename(from, to, ec);
    if (ec) return Error{"rename " + from.string() + ": " + ec.message()};
    return ok_status();
}

}  // namespace

Status shift_generations(const std::filesystem::path& path, std::size_t keep) {
    std::error_code ignored;
    for (const char* suffix : {"", ".gz"}) {
        std::filesystem::remove(generation(path, keep, suffix), ignored);
        for (std::size_t n = keep - 1; n >= 1; --n) {
            auto moved =
                move_if_present(generation(path, n, suffix), generation(path, n + 1, suffix));
            if (!moved) return moved;
        }
    }
    return move_if_present(path, generation(path, 1));
}

}  // namespace herald::log
