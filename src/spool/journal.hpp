#pragma once
// The spool's journal (docs/spool.md, "The journal"): the records of what changed in the
// queue since its files were last made durable, in segment files <spool>/journal/<sequence>.
// Records from every thread are appended together and share one write and one fdatasync
// (group commit): a client's 250 costs a share of a flush, not a flush of its own. The
// journal's own thread does every flush, so that an event loop can hand it records and go on,
// hearing of their durability later, while a pool thread may wait for it instead.
//
// A checkpoint, every `interval` while records come and once more at the end, starts a new
// segment, makes the files the records describe durable (syncfs on the spool's file
// system), and deletes the older segments, the oldest first and each deletion fsync'd: the
// segments left are always the newest ones, and replaying them again does no harm.
//
// A busy journal's next segment is written full of zeros ahead of time (<dir>/next, not a
// segment until the checkpoint renames it): a flush that overwrites zeros leaves the file's
// size alone, so its fdatasync writes the records and no inode, one write and one wait less
// (docs/spool.md, "Prepared segments").
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/result.hpp"
#include "spool/file_descriptor.hpp"

namespace herald::spool {

class Journal {
  public:
    using Trouble = std::function<void(const std::string&)>;
    // Writes what the records of the older segments stand for and the disk does not have yet
    // (the spool's unwritten files); "" when done, else why not.
    using WriteOut = std::function<std::string()>;

    // Starts a new segment after any in `dir` (which Spool::open made, and replay emptied).
    // `interval` zero: checkpoints only when asked (tests). `trouble` hears what a background
    // checkpoint could not do. Each checkpoint runs `write_out` after its new segment began
    // and before the syncfs.
    static Result<std::unique_ptr<Journal>> open(const std::filesystem::path& dir,
                                                 const std::filesystem::path& spool_dir,
                                                 std::chrono::milliseconds interval,
                                                 Trouble trouble = {}, WriteOut write_out = {});
    // A last checkpoint; then the journal is empty, and an older Herald can use the spool.
    ~Journal();
    Journal(const Journal&) = delete;
    Journal& operator=(const Journal&) = delete;

    // Called on the journal's thread with "" once the records are durable, else why not. It
    // must not block: it holds up the next flush.
    using Committed = std::function<void(const std::string& error)>;

    // Records someone waits for (a client's 250) are flushed as soon as the disk is free.
    // Records nobody waits for (a delivery's outcome: the connection has taken its next
    // message already) may wait up to kSharedFlushWait for such a record to share their flush:
    // under load nearly every outcome rides on an acceptance's flush instead of taking one of
    // its own; the price is that a crash in that time repeats those deliveries.
    enum class Urgency { now, may_wait };
    static constexpr std::chrono::milliseconds kSharedFlushWait{3};

    // Hands `records` to the next flush and returns at once; `committed` hears the outcome.
    void commit(std::string_view records, Committed committed, Urgency urgency = Urgency::now);
    // Durable on success, with whatever other threads committed meanwhile. Blocks.
    Status commit(std::string_view records);
    // Whether the last flush that failed failed for a full disk (ENOSPC, EDQUOT): asked after
    // commit() failed, for the client's 452 rather than 451.
    bool disk_full() const { return disk_full_; }
    // Starts the next segment (see above), then prepares the one after it when this one was
    // busy.
    Status checkpoint();

    std::uint64_t flushes() const { return flushes_; }
    // How long records that may wait do (kSharedFlushWait unless a test says otherwise).
    void set_shared_flush_wait(std::chrono::milliseconds wait);

    // The segment files in `dir`, oldest first.
    static std::vector<std::filesystem::path> segments(const std::filesystem::path& dir);
    // Deletes them, oldest first, each deletion made durable before the next.
    static Status remove_segments(const std::vector<std::filesystem::path>& segments);

    // A segment that took at least this many bytes gets its successor prepared, a quarter
    // larger and in whole MiB, at most kPreparedAtMost; a quieter journal's segments grow
    // as they are written, and its disk writes no zeros.
    static constexpr std::uint64_t kPrepareFrom = 1 << 20;
    static constexpr std::uint64_t kPreparedAtMost = 64 << 20;
    // The size prepared after a segment of `used` bytes; 0: none.
    static std::uint64_t prepared_size_after(std::uint64_t used);

  private:
    Journal(std::filesystem::path dir, FileDescriptor spool_dir, FileDescriptor journal_dir);
    struct Batch {
        std::string records;
        std::vector<Committed> committed;
        bool urgent = false;                          // some record may not wait
        std::chrono::steady_clock::time_point since;  // its first record's commit
    };

    std::string write_and_sync(const std::string& records);
    std::string start_segment();
    Status checkpoint_segments();
    // Writes <dir>/next full of zeros, flushed, and marks it ready for start_segment.
    void prepare_next_segment();
    void flush_as_they_come();
    void flush(Batch batch);
    void checkpoint_every(std::chrono::milliseconds interval, const Trouble& trouble);

    std::filesystem::path dir_;
    FileDescriptor spool_dir_;    // syncfs makes its file system durable
    FileDescriptor journal_dir_;  // fsync'd when a segment is made
    // Under segment_mutex_: the flusher writes, a checkpoint starts the next segment.
    std::mutex segment_mutex_;
    FileDescriptor segment_;
    std::uint64_t sequence_ = 0;
    std::uint64_t written_bytes_ = 0;   // in the current segment
    std::uint64_t previous_bytes_ = 0;  // in the one before it
    bool next_prepared_ = false;        // <dir>/next is whole, flushed, and ready
    bool segment_broken_ = false;       // a failed write: the next batch starts a new segment
    std::atomic<bool> written_{false};  // since the last checkpoint
    std::atomic<bool> disk_full_{false};
    std::atomic<std::uint64_t> flushes_{0};
    WriteOut write_out_;

    // The records waiting for the next flush, and the flusher's wake-up.
    std::mutex open_mutex_;
    std::condition_variable records_came_;
    Batch open_;
    std::chrono::milliseconds shared_flush_wait_ = kSharedFlushWait;
    bool closing_ = false;
    std::jthread flusher_;

    std::mutex stop_mutex_;
    std::condition_variable stop_;
    bool stopping_ = false;
    std::jthread checkpointer_;
};

}  // namespace herald::spool
