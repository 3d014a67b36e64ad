#include "spool/directory_sync.hpp"

#include <fcntl.h>

namespace herald::spool {

Status DirectorySync::sync(const std::filesystem::path& dir) {
    std::unique_lock lock(mutex_);
    if (!open_) open_ = std::make_shared<Batch>();
    open_->dirs.insert(dir);
    std::shared_ptr<Batch> mine = open_;
    while (!mine->done) {
        if (syncing_) {
            finished_.wait(lock);
            continue;
        }
        // Lead: our batch is still open (an earlier leader would have marked it done).
        syncing_ = true;
        std::shared_ptr<Batch> batch = std::move(open_);
        open_.reset();
        lock.unlock();
        std::string error = fsync_all(batch->dirs);
        lock.lock();
        batch->error = std::move(error);
        batch->done = true;
        syncing_ = false;
        ++rounds_;
        finished_.notify_all();
    }
    if (!mine->error.empty()) return Error{mine->error};
    return ok_status();
}

std::uint64_t DirectorySync::rounds() const {
    std::lock_guard lock(mutex_);
    return rounds_;
}

std::string DirectorySync::fsync_all(const std::set<std::filesystem::path>& dirs) {
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
