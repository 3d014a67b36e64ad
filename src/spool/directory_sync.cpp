#include "spool/directory_sync.hpp"

#include <fcntl.h>

namespace herald::spool {

Status DirectorySync::sync(const std::filesystem::path& dir) {
    std::string error = commit_.commit([&](Directories& dirs) { dirs.insert(dir); },
                                       [this](Directories& dirs) { return fsync_all(dirs); });
    if (!error.empty()) return Error{error};
    return ok_status();
}

std::string DirectorySync::fsync_all(const Directories& dirs) {
    std::string error;
    for (const auto& dir : dirs) {
        auto& fd = open_dirs_[dir];
        if (!fd) fd = FileDescriptor::open(dir, O_RDONLY | O_DIRECTORY);
        int err = fd ? fd.full_sync() : errno;
        if (err != 0 && error.empty()) error = describe_errno("fsync", dir, err);
    }
    return error;
}

}  // namespace herald::spool
