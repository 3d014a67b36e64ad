#pragma once
// Group commit for directory entries. A store() is durable only once the directory that
// received its file is fsync'd; with many clients storing at once, one fsync serves every
// rename that happened before it started. A thread that finds no fsync running becomes the
// leader: it takes the whole open batch (every directory renamed into since the last one),
// fsyncs those directories without holding the lock, and wakes the batch. Threads that
// arrive meanwhile form the next batch. No lock is held across an fsync.
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "base/result.hpp"
#include "spool/file_descriptor.hpp"

namespace herald::spool {

class DirectorySync {
  public:
    // Returns once `dir` has been fsync'd after this call began.
    Status sync(const std::filesystem::path& dir);

    // How many fsync rounds ran: lets tests see that concurrent stores shared them.
    std::uint64_t rounds() const;

  private:
    struct Batch {
        std::set<std::filesystem::path> dirs;
        bool done = false;
        std::string error;
    };

    std::string fsync_all(const std::set<std::filesystem::path>& dirs);

    // Kept open: a store would otherwise open and close its bucket each time. Only the
    // leader, one at a time, touches it.
    std::map<std::filesystem::path, FileDescriptor> open_dirs_;

    mutable std::mutex mutex_;
    std::condition_variable finished_;
    std::shared_ptr<Batch> open_;
    bool syncing_ = false;
    std::uint64_t rounds_ = 0;
};

}  // namespace herald::spool
