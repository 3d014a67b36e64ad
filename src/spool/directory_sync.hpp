#pragma once
// Group commit for directory entries. A store() that does not go through the journal is
// durable only once the directory that received its file is fsync'd; with many clients
// storing at once, one fsync serves every rename that happened before it started
// (group_commit.hpp).
#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "base/result.hpp"
#include "spool/file_descriptor.hpp"
#include "spool/group_commit.hpp"

namespace herald::spool {

class DirectorySync {
  public:
    // Returns once `dir` has been fsync'd after this call began.
    Status sync(const std::filesystem::path& dir);

    // How many fsync rounds ran: lets tests see that concurrent stores shared them.
    std::uint64_t rounds() const { return commit_.rounds(); }

  private:
    using Directories = std::set<std::filesystem::path>;
    std::string fsync_all(const Directories& dirs);

    // Kept open: a store would otherwise open and close its bucket each time. Only the
    // leader, one at a time, touches it.
    std::map<std::filesystem::path, FileDescriptor> open_dirs_;
    GroupCommit<Directories> commit_;
};

}  // namespace herald::spool
