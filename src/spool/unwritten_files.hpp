#pragma once
// Queue files that the journal holds and the disk does not yet (docs/spool.md, "Unwritten
// queue files"). A small message's M record is its durability; its file is only where the
// queue keeps it after the next checkpoint. So the file waits here, in memory: a message
// delivered before that checkpoint is never written, renamed or unlinked at all, and one
// still queued is written by the checkpoint before the segment holding its record goes.
//
// The spool looks here first for every message it reads or changes. Within a budget: past
// it, a message's file is written at once, as without a journal. Safe from every thread.
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace herald::spool {

// Queue files held back, all together: about a second's worth of a busy server's small
// messages, which the checkpoint then writes.
inline constexpr std::size_t kUnwrittenMemory = 16 * 1024 * 1024;

class UnwrittenFiles {
  public:
    // Writes message `id`'s file; "" when done, else why not.
    using Writer = std::function<std::string(const std::string& id, const std::string& file)>;

    explicit UnwrittenFiles(std::size_t budget = kUnwrittenMemory) : budget_(budget) {}

    // Keeps `file` as message `id`'s queue file; false when the budget has no room for it
    // (the caller then writes it).
    bool keep(std::string_view id, std::string file);

    // What `use` returns for the file's bytes, which it may change; nullopt when `id` has no
    // file here (it is on disk, or gone).
    template <typename Use>
    auto with(std::string_view id, Use use)
        -> std::optional<decltype(use(std::declval<std::string&>()))> {
        std::lock_guard lock(mutex_);
        auto it = files_.find(std::string(id));
        if (it == files_.end()) return std::nullopt;
        return use(it->second);
    }

    // Forgets the file (the message finished or was deleted); false when it had none here.
    bool drop(std::string_view id);

    std::vector<std::string> ids() const;

    // Every file through `write`, each dropped once written. Holds the lock throughout, so
    // that no change to a file comes between its writing and its drop. Stops at the first
    // failure and returns it; the rest stay.
    std::string write_all(const Writer& write);
    // The same for one message's file; "" too when it has none here.
    std::string write_one(std::string_view id, const Writer& write);

  private:
    using Files = std::unordered_map<std::string, std::string>;
    // Under the lock: the file written, then dropped; on failure it stays.
    std::string write_and_drop(Files::iterator& it, const Writer& write);

    const std::size_t budget_;
    mutable std::mutex mutex_;
    Files files_;
    std::size_t bytes_ = 0;
};

}  // namespace herald::spool
