#pragma once
// One server to a spool. A second `herald serve` on the same spool_dir would run recovery
// over the first one's queue and deliver its mail a second time; it stops at start-up with
// a clear error instead. The lock is a flock on the spool directory, held for the life of the
// process and let go by the kernel however the process ends: no stale lock file to clean up
// after a crash. Commands that read the spool (herald queue, sendmail) do not take it.
#include <filesystem>

#include "base/result.hpp"
#include "spool/file_descriptor.hpp"

namespace herald::spool {

class SpoolLock {
  public:
    // The spool directory must exist (Spool::open makes it).
    static Result<SpoolLock> acquire(const std::filesystem::path& spool_dir);

  private:
    explicit SpoolLock(FileDescriptor directory) : directory_(std::move(directory)) {}
    FileDescriptor directory_;  // holds the flock
};

}  // namespace herald::spool
