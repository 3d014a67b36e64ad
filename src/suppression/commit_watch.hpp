#pragma once
// When the suppression database last took a commit, from any process, read without a system
// call: the header of its WAL index (the "-shm" file that SQLite maps into every process that
// has the database open, https://www.sqlite.org/walformat.html, 2.2.1). Every commit rewrites
// that header (its frame count, change counter and checksum), and a reader that finds the
// header of a commit finds the commit too: SQLite's own readers start from it. So an answer
// read from the database stays true while the header stays the same.
//
// The header is kept twice; a writer writes the second copy, then the first. Two copies that
// differ are a commit under way, and say nothing. So does a header SQLite has not set up
// (after a crash, before its recovery) or one of another layout than version 3007000's, the
// only one SQLite has written since it brought WAL mode in (3.7.0, 2010).
//
// The mapping is safe while a connection of this process holds the database open: SQLite
// truncates the -shm file only when it is the first to open the database, which a process
// holding it open (our connection's lock on it) prevents.
#include <array>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>

namespace herald::suppression {

class CommitWatch {
  public:
    using Stamp = std::array<unsigned char, 48>;  // one copy of the header, as it is

    // The watch of the WAL index `shm`; nullptr when there is none to read (no such file, too
    // short, cannot be mapped).
    static std::unique_ptr<CommitWatch> open(const std::filesystem::path& shm);
    ~CommitWatch();
    CommitWatch(const CommitWatch&) = delete;
    CommitWatch& operator=(const CommitWatch&) = delete;

    // The header of the last commit; nullopt when it cannot be told (a commit under way, a
    // header not set up or of an unknown layout).
    std::optional<Stamp> last_commit() const;

  private:
    explicit CommitWatch(const void* mapping) : mapping_(mapping) {}

    const void* mapping_;  // the index's first bytes: its header twice
};

}  // namespace herald::suppression
