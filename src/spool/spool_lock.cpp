#include "spool/spool_lock.hpp"

#include <fcntl.h>

#include <cerrno>

namespace herald::spool {

Result<SpoolLock> SpoolLock::acquire(const std::filesystem::path& spool_dir) {
    FileDescriptor directory = FileDescriptor::open(spool_dir, O_RDONLY | O_DIRECTORY);
    if (!directory) return Error{describe_errno("open", spool_dir, errno)};
    const int locked = directory.try_lock();
    if (locked == 0) return SpoolLock(std::move(directory));
    if (locked == EWOULDBLOCK) {
        return Error{spool_dir.string() +
                     " is in use by another herald serve: stop it first, or give this one its "
                     "own [server] spool_dir"};
    }
    return Error{describe_errno("lock", spool_dir, locked)};
}

}  // namespace herald::spool
