#pragma once
// The durable spool: one file per message under <dir>/queue/<2 hex>/<id>, written in
// <dir>/incoming/, fdatasync'd, renamed into place and its directory fsync'd before store()
// returns. Nothing store() acknowledged is lost by a crash at any instant; nothing it did not
// finish ever counts. Format and layout: docs/spool.md.
//
// Every function is safe to call from several threads at once, and from several processes
// (the server and `herald sendmail`) on the same directory.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "message/envelope.hpp"
#include "spool/file_descriptor.hpp"
#include "spool/incoming_text.hpp"
#include "spool/journal.hpp"
#include "spool/journal_replay.hpp"
#include "spool/name_list.hpp"
#include "spool/recipient_state.hpp"
#include "spool/schedule.hpp"
#include "spool/unwritten_files.hpp"

namespace herald::spool {

class DirectorySync;
struct QueueFile;

struct SpooledRecipient {
    std::string address;
    RecipientState state = RecipientState::pending;
};

// The largest queue file journaled whole. A larger message is flushed on its own: its data
// costs more than a flush, and the journal would hold a second copy of it.
inline constexpr std::uint64_t kMaxJournaledMessage = 128 * 1024;

// What load() returns: everything but the data.
struct SpooledMessage {
    std::string id;
    message::Envelope envelope;  // envelope.recipients in the order of `recipients`
    std::vector<SpooledRecipient> recipients;
    bool held = false;
    std::uint64_t data_size = 0;

    // Every recipient delivered or failed: the queue removes the message.
    bool finished() const;
};

struct SpooledMessageWithData {
    SpooledMessage message;
    Result<std::string> data;  // a read error here leaves the message loaded
};

// What load_with_data() would return for a message store() has just written, made without
// reading it back: every recipient pending, not held. `data` is the whole stored text.
SpooledMessageWithData as_just_stored(std::string_view id, message::Envelope envelope,
                                      std::string data);

// The outcome of store(): a full disk (ENOSPC, EDQUOT) is told apart, because the client then
// hears 452 4.3.1 rather than 451 4.3.0 (RFC 3463 section 3.4).
class [[nodiscard]] StoreStatus {
  public:
    static StoreStatus success() { return StoreStatus(); }
    static StoreStatus failure(std::string message, bool disk_full) {
        return StoreStatus(std::move(message), disk_full);
    }

    bool ok() const { return error_.empty(); }
    explicit operator bool() const { return ok(); }
    const std::string& error() const { return error_; }
    bool disk_full() const { return disk_full_; }

  private:
    StoreStatus() = default;
    StoreStatus(std::string message, bool disk_full)
        : error_(message.empty() ? "spool error" : std::move(message)), disk_full_(disk_full) {}
    std::string error_;
    bool disk_full_ = false;
};

struct RecoveryReport {
    std::size_t kept = 0;     // complete messages in the queue
    std::size_t removed = 0;  // unfinished writes deleted, broken queue files set aside
    std::vector<std::string> removed_ids;  // ids (or file names) of what was removed
    std::vector<std::string> problems;     // one line each, for the log: what and why

    void add(RecoveryReport&& other);  // another part's: the threads', start-up's two halves
};

// Arriving texts held in memory, all together (spool/text_memory.hpp): 512 of the largest
// kept there, thousands of ordinary ones.
inline constexpr std::size_t kTextMemoryBudget = 32 * 1024 * 1024;

class Spool {
  public:
    explicit Spool(std::filesystem::path dir);
    ~Spool();
    Spool(Spool&&) noexcept;
    Spool& operator=(Spool&&) noexcept;

    // Creates the layout (mode 0700) where it is missing. Call before anything else.
    Status open();

    // The server's, once it holds the spool lock: the journal a crash left is settled
    // (settle_journal), and from then on small messages, outcomes, holds and removals are
    // recorded in a new one, many to a flush (journal.hpp), instead of each flushed alone.
    struct JournalSettled;
    Result<JournalSettled> open_journal(std::chrono::milliseconds checkpoint_interval,
                                        Journal::Trouble trouble = {});
    // The records a crash left in the journal applied to the files, the files made durable,
    // the journal emptied: by open_journal(), and by `herald queue` acting on a stopped
    // server's spool.
    struct JournalSettled {
        std::size_t segments = 0;
        std::size_t records = 0;
        std::size_t restored = 0;  // queue files written again from their record
        std::size_t removed = 0;   // queue files of finished or deleted messages unlinked
        bool torn = false;         // a batch cut short by the crash (never acknowledged)
    };
    Result<JournalSettled> settle_journal();
    // Flushes of the journal so far (0 without one): /metrics and the tests.
    std::uint64_t journal_flushes() const;
    // Whether the journal's last failed flush failed for a full disk: for a 452 after
    // store_in_memory()'s failure.
    bool journal_disk_full() const;
    // The message's file written now if it is only in memory yet (docs/spool.md, "Unwritten
    // queue files"): one its delivery attempt leaves queued, for `herald queue list`, which
    // reads the disk. Not written, it stays in memory, the journal keeping it.
    Status write_unwritten(std::string_view id);
    // What the journal does every checkpoint interval, now: the unwritten queue files
    // written, the older segments deleted. For tests.
    Status checkpoint();
    // Flushes what was committed, makes its callbacks and checkpoints; from then on each file
    // is stored with a flush of its own. The server's last step with the journal, before it
    // discards what its event loop will not run, which the callbacks post to.
    void close_journal();

    // Durable on success. `id` must satisfy is_valid_message_id() and be new: an existing
    // message is never overwritten. On failure nothing is left behind and nothing else is
    // touched.
    StoreStatus store(std::string_view id, const message::Envelope& envelope,
                      std::string_view data);
    // The same, for data that is `head` followed by the octets of `text` from `from` on,
    // copied from file to file in the kernel (copy_file_range) when the text is on disk: a
    // message of any size is stored without being read into memory. Fails with text.error()
    // if its writing failed.
    StoreStatus store(std::string_view id, const message::Envelope& envelope, std::string_view head,
                      const IncomingText& text, std::uint64_t from);

    // store() for an event loop, which must not block: when the message can wait in memory for
    // the next checkpoint (the journal on, the text in memory, the whole within
    // kMaxJournaledMessage and the unwritten files' budget), it is kept, its record handed to
    // the journal, and true returned; `committed` then hears on the journal's thread ""
    // once it is durable, or why not (and it is gone again). False: nothing was done, and
    // store() is the way, off the loop.
    bool store_in_memory(std::string_view id, const message::Envelope& envelope,
                         std::string_view head, const IncomingText& text, std::uint64_t from,
                         Journal::Committed committed);

    // A message's text while it arrives (see incoming_text.hpp): in memory until it is too
    // large, then in a file in incoming/. No I/O here.
    IncomingText create_incoming();

    Result<SpooledMessage> load(std::string_view id) const;
    Result<std::string> read_data(std::string_view id) const;
    // Both in one opening of the file (a small message in one read): a delivery's load.
    Result<SpooledMessageWithData> load_with_data(std::string_view id) const;

    // A byte per recipient rewritten in place, then one fdatasync: a delivered recipient
    // stays delivered after a crash, so it is never delivered twice. Nothing is written
    // when an index is out of range.
    Status mark_recipients(std::string_view id, const std::vector<RecipientMark>& marks);
    // mark_recipients() for an event loop, when the message's file is an unwritten one (then
    // true; false: nothing done). `committed` hears on the journal's thread when the marks are
    // durable; with `then_remove`, the finished message is removed (remove_finished()) first.
    bool mark_in_memory(std::string_view id, const std::vector<RecipientMark>& marks,
                        bool then_remove, Journal::Committed committed);
    Status set_held(std::string_view id, bool held);
    // Deleted or withdrawn before it was finished: recorded in the journal, or a crash could
    // bring it back.
    Status remove(std::string_view id);
    // Every recipient delivered or failed, as the spool records: its outcomes already say
    // that it is gone.
    Status remove_finished(std::string_view id);

    // Ids of the complete messages, in id (that is, arrival) order.
    std::vector<std::string> list() const;

    // Start-up, in two parts. First, before the server takes mail: the unfinished writes a
    // crash left in incoming/ are deleted (a live writer's, locked, are left alone). Quick:
    // incoming/ holds only what was in flight.
    RecoveryReport recover_incoming() const;

    // Then, while the server already takes mail: every queue file is read once, oldest
    // first, checked, and handed to `kept` with its schedule in batches, in id order, one
    // call at a time. Files that are incomplete or unreadable are set aside in corrupt/, and
    // schedules of messages that are gone dropped; a message removed meanwhile is skipped,
    // and one stored meanwhile may be handed over too. `found` hears how many files there
    // are before the first is read. `kept` returns false to stop early (the server stops).
    struct LoadedMessage {
        SpooledMessage message;
        std::optional<Schedule> schedule;
    };
    using KeptBatch = std::function<bool(std::vector<LoadedMessage>&&)>;
    RecoveryReport load_queue(const KeptBatch& kept,
                              const std::function<void(std::size_t)>& found = {}) const;

    // Both, one after the other, with each message handed over alone: for tools and tests.
    using KeptMessage = std::function<void(SpooledMessage&&, std::optional<Schedule>&&)>;
    RecoveryReport recover(const KeptMessage& kept = {});

    // Not fsync'd (see schedule.hpp) unless it records a delay warning; survives a clean
    // restart.
    Status save_schedule(std::string_view id, const Schedule& schedule);
    std::optional<Schedule> load_schedule(std::string_view id) const;

    // Where a message lives: for tests and for docs/spool.md's examples.
    std::filesystem::path path_of(std::string_view id) const;
    const std::filesystem::path& directory() const { return dir_; }

    // fsync rounds of queue directories so far (group commit shares them).
    std::uint64_t directory_sync_rounds() const;

  private:
    StoreStatus write_message(std::string_view id, const message::Envelope& envelope,
                              std::string_view head, const IncomingText* text, std::uint64_t from);
    // Whether a queue file of `header`, `head` and `copied` octets of text is journaled whole.
    bool journals(std::string_view header, std::string_view head, std::uint64_t copied) const;
    StoreStatus keep_unwritten(std::string_view id, const std::string& file);
    void forget_unacknowledged(std::string_view id);
    UnwrittenFiles::Writer file_writer() const;
    Status journal(JournalKind kind, std::string_view id, std::string_view payload);
    Status mark_in_place(std::string_view id, const std::vector<RecipientMark>& marks, bool sync);
    Status flag_in_place(std::string_view id, bool held, bool sync);  // refuses no change
    // The message's queue file from unwritten_, else opened on disk with `flags`.
    Result<QueueFile> open_message(std::string_view id, int flags) const;
    Status unlink_message(std::string_view id);
    void apply_journaled(const std::string& id, const JournaledMessage& message,
                         JournalSettled& settled);
    std::filesystem::path schedule_path_of(std::string_view id) const;
    NameList list_queue(RecoveryReport& report) const;
    NameList list_schedules() const;
    struct OpenBuckets {  // by bucket index; an invalid one: open by the whole path
        std::vector<FileDescriptor> queue, schedule;
    };
    std::vector<LoadedMessage> load_range(const NameList& queued, std::size_t first,
                                          std::size_t end, const NameList& scheduled,
                                          const OpenBuckets& buckets, RecoveryReport& report) const;
    void set_aside(const std::filesystem::path& path, std::string_view name, std::string why,
                   RecoveryReport& report) const;
    void drop_orphan_schedules(const NameList& queued, const NameList& scheduled) const;

    std::filesystem::path dir_;
    std::unique_ptr<DirectorySync> sync_;
    // Shared with the texts it lent memory to: a text may outlive a move of the spool.
    std::shared_ptr<TextMemory> text_memory_ = std::make_shared<TextMemory>(kTextMemoryBudget);
    // Shared with the journal, whose checkpoints write them.
    std::shared_ptr<UnwrittenFiles> unwritten_ = std::make_shared<UnwrittenFiles>();
    // Last, so destroyed first: its last flush's callbacks use the members above.
    std::unique_ptr<Journal> journal_;  // the server's only
};

}  // namespace herald::spool
