#pragma once
// The outbox of one webhook sink (docs/events.md, "The outbox"): a durable FIFO of event lines
// (JSON objects, one a line), so that a receiver that is away for a day costs disk, not memory,
// and a kill -9 of Herald loses no event that append() accepted.
//
// On disk, in the outbox's directory (0700, files 0600):
//   <16-digit sequence>.events   append-only segments, one event a line
//   cursor                       "<segment sequence> <byte offset>\n": where the first
//                                undelivered event starts, replaced whole (temp, fdatasync, rename)
// In memory: per segment its sequence, its length and its number of events, and the head's
// position; never the events (Postfix's rule: what waits stays on disk). peek() reads them back
// from the files in blocks.
//
// Durability: append() has written the line with write(2) before it returns (it survives a
// kill -9); sync(), which the sink calls at least once a second, fdatasyncs it (a power loss
// may cost up to a second of events). acknowledge() and the dead-letter move write the cursor
// durably before the segments they leave behind are deleted. Delivery is at least once: a
// crash between a delivery and its acknowledge() delivers that batch again.
//
// Every member may be called from several threads at once. Appends, peeks and acknowledges
// serialise on one mutex; sync()'s fdatasync and the cursor's write and rename run outside it,
// so an append from the event loop does not wait for a disk flush another thread started. The
// one flush under it is the dead-letter file's, once per segment's worth of events moved, and
// only while the outbox is full.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.hpp"
#include "spool/file_descriptor.hpp"

namespace herald::events {

class Outbox {
    // open() is the only way to make one: it recovers the directory first.
    struct Token {
        explicit Token() = default;
    };

  public:
    struct Options {
        // Above this many waiting events, the oldest go to the dead-letter file ([[event_sink]]
        // max_outbox). At least 1.
        std::size_t max_events = 100000;
        // Events per segment file before a new one starts. Capped at max_events / 4 (at least
        // 1), so that moving a whole segment to the dead-letter file never empties the outbox.
        std::size_t segment_events = 4096;
    };

    // Lines from the head, and the sequence number of the first: a number this Outbox gives
    // every event it holds, counting from its open(), so that acknowledge() can tell which
    // of the lines are still at the head.
    struct Batch {
        std::uint64_t first = 0;
        std::vector<std::string> lines;
    };

    // Creates `directory` (0700) if missing and recovers it: deletes the segments wholly
    // before the cursor, drops a torn last line (no final '\n': a crash mid-write) from the
    // newest segment, counts the events after the cursor. `dead_letter` is created (0600) at
    // the first move. The directory is locked (flock): a second Outbox on it is an Error.
    static Result<std::unique_ptr<Outbox>> open(std::filesystem::path directory,
                                                std::filesystem::path dead_letter, Options options);

    Outbox(Token, std::filesystem::path directory, std::filesystem::path dead_letter,
           Options options, spool::FileDescriptor directory_fd);
    Outbox(const Outbox&) = delete;
    Outbox& operator=(const Outbox&) = delete;
    // Syncs what was appended, as sync() does; a caller that wants to see that error calls
    // sync() itself first.
    ~Outbox();

    // Appends one line; one with a '\n' inside is refused. At max_events, the oldest events
    // are first moved to the dead-letter file (appended, fdatasync'd) and the cursor advanced
    // past them as if acknowledged: the rest of the head segment at once, or only as many as
    // needed while the head segment is also the one appended to. Returns how many were moved
    // (0 normally), for the caller's paniclog line.
    //
    // The rule for events in flight: the move may take events that a peek() handed out and
    // that are not yet acknowledged (an outbox that full means the receiver has been away
    // long; holding them back would let it grow without bound). Their acknowledge() then
    // counts only what is still at the head.
    //
    // An Error means the line was not stored, unless it says the event is stored and only
    // the cursor could not be written after a move; it says how many events were moved.
    Result<std::size_t> append(std::string_view line);

    // Up to `count` lines from the head, oldest first, without removing them: a consistent
    // prefix even while other threads append. Read from the files, in blocks.
    Result<Batch> peek(std::size_t count);

    // The lines of `batch` (as peek() returned it) were delivered: advances the cursor past
    // them, durably, and deletes the segments left wholly behind. Lines already moved to the
    // dead-letter file (or already acknowledged) are skipped; only the remainder counts. The
    // lines must be the ones peek() returned: their lengths say how far the cursor moves. A
    // batch that starts beyond the head, or runs past the events held, is an Error and
    // changes nothing.
    Status acknowledge(const Batch& batch);

    // fdatasync of the segments appended to since the last sync (and of the directory when a
    // segment was created); nothing when nothing was written.
    Status sync();

    // Events waiting.
    std::size_t depth() const;

  private:
    struct Segment {
        std::uint64_t sequence = 0;
        std::uint64_t bytes = 0;   // up to the end of its last complete line
        std::uint64_t events = 0;  // complete lines
        // The tail's is open read-write for appending; others are opened when read, and closed
        // again once they are neither the head nor the tail, so that a long outbox of small
        // segments does not hold a descriptor for each.
        std::shared_ptr<spool::FileDescriptor> file;
    };
    struct Room {
        std::size_t moved = 0;
        std::string error;  // empty when there is room now
    };
    struct Unsynced {
        std::uint64_t sequence = 0;
        std::shared_ptr<spool::FileDescriptor> file;
    };

    Status recover(const std::vector<std::uint64_t>& sequences,
                   std::optional<std::pair<std::uint64_t, std::uint64_t>> cursor);
    Status start_segment();
    Room make_room();
    Result<std::uint64_t> move_head_lines(std::uint64_t count, const spool::FileDescriptor& out);
    Result<const spool::FileDescriptor*> reader(Segment& segment);
    void leave_exhausted_head();
    Status write_cursor();
    std::filesystem::path segment_path(std::uint64_t sequence) const;

    const std::filesystem::path directory_;
    const std::filesystem::path dead_letter_;
    const Options options_;
    const spool::FileDescriptor directory_fd_;  // holds the flock; files are opened in it

    mutable std::mutex mutex_;
    std::deque<Segment> segments_;     // front: the head's segment; back: the one appended to
    std::uint64_t head_offset_ = 0;    // bytes of the front segment already delivered
    std::uint64_t head_consumed_ = 0;  // events of the front segment already delivered
    std::uint64_t head_sequence_ = 0;  // Batch::first of the event at the head
    std::size_t depth_ = 0;
    std::uint64_t next_segment_ = 1;
    bool tail_dirty_ = false;            // written since the last sync
    bool tail_broken_ = false;           // a failed write left a partial line that could not be cut
    bool directory_dirty_ = false;       // a segment was created since the last sync
    bool dead_letter_known_ = false;     // its directory entry was synced once by this Outbox
    std::vector<Unsynced> unsynced_;     // earlier tails written since the last sync
    std::vector<std::uint64_t> doomed_;  // segments behind the head: deleted after the cursor

    // Held while the cursor is written (before mutex_, never after), so that cursor writes
    // happen one at a time and each writes the newest head.
    std::mutex cursor_mutex_;
    std::optional<std::pair<std::uint64_t, std::uint64_t>> written_cursor_;
};

}  // namespace herald::events
