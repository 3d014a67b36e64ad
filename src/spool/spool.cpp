#include "spool/spool.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <iterator>
#include <mutex>
#include <system_error>
#include <thread>

#include "spool/directory_sync.hpp"
#include "spool/file_descriptor.hpp"
#include "spool/journal_record.hpp"
#include "spool/message_id.hpp"
#include "spool/queue_file.hpp"

namespace herald::spool {
namespace fs = std::filesystem;

// An open queue file whose header is read and whose end record is checked; or an unwritten
// one (no descriptor, the whole file in first_bytes).
struct QueueFile {
    FileDescriptor fd;
    QueueFileHeader header;
    std::string first_bytes;  // what the header reads got: a small message whole
};

namespace {

constexpr std::string_view kIncoming = "incoming";
constexpr std::string_view kQueue = "queue";
constexpr std::string_view kSchedule = "schedule";
constexpr std::string_view kCorrupt = "corrupt";
constexpr std::string_view kJournal = "journal";
constexpr unsigned kBuckets = 256;
// A long queue's start-up waits on the disk when the page cache is cold: more reads in
// flight help (1,000,000 messages on two cores, cold: 140 s with 2 threads, 119 s with 8,
// 98 s with 16, 99 s with 32), and with messages handed over in batches, threads no longer
// queue up on the hand-over when it is warm (16-23 s with 16, 20-25 s with 2).
constexpr unsigned kRecoveryThreads = 16;
constexpr std::size_t kHandOverBatch = 1024;
// O_NOATIME: the first read of a file written since it was last read would write its inode
// (relatime), a journal write for each of a million queue files and schedules at start-up.
constexpr int kScheduleFlags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOATIME;
// A header larger than this is garbage: 100k recipients of 100 bytes fit.
constexpr std::uint64_t kMaxHeaderSize = 16 * 1024 * 1024;
constexpr std::size_t kMaxScheduleSize = 64 * 1024;

// Hashed subdirectories keep a million queued messages from being a million entries in one
// directory (FNV-1a: cheap, and spreads ids that share their time prefix).
std::string bucket_name(unsigned b) {
    static constexpr char kHex[] = "0123456789abcdef";
    return {kHex[(b >> 4) & 15], kHex[b & 15]};
}

unsigned bucket_index_of(std::string_view id) {
    std::uint32_t hash = 2166136261u;
    for (char c : id) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 16777619u;
    }
    return hash % kBuckets;
}

std::string bucket_of(std::string_view id) {
    return bucket_name(bucket_index_of(id));
}

// Atomic, and refuses to replace: an id collision fails instead of losing a message.
int rename_no_replace(const fs::path& from, const fs::path& to) {
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
    if (errno != EINVAL && errno != ENOSYS) return errno;
    // File systems without RENAME_NOREPLACE: link() refuses to replace as well.
    if (::link(from.c_str(), to.c_str()) != 0) return errno;
    ::unlink(from.c_str());
    return 0;
}

// mkdir with mode 0700; `created` tells whether the parent needs an fsync.
Status make_directory(const fs::path& dir, bool& created) {
    if (::mkdir(dir.c_str(), 0700) == 0) {
        created = true;
        return ok_status();
    }
    int err = errno;
    struct stat st {};
    if (err == EEXIST && ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return ok_status();
    return Error{describe_errno("mkdir", dir, err == EEXIST ? ENOTDIR : err)};
}

bool is_gone(const fs::path& path) {
    return ::faccessat(AT_FDCWD, path.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT;
}

Status fsync_directory(const fs::path& dir) {
    auto fd = FileDescriptor::open(dir, O_RDONLY | O_DIRECTORY);
    int err = fd ? fd.full_sync() : errno;
    if (err != 0) return Error{describe_errno("fsync", dir, err)};
    return ok_status();
}

// Names in a directory; an unreadable directory reads as empty (recover() reports files,
// not directories, and open() has created them all).
std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> names;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        names.push_back(it->path().filename().string());
    }
    return names;
}

// The first bytes of the file, at least its whole header (whose length is returned too).
struct HeaderBytes {
    std::string bytes;
    std::size_t header_length = 0;
};

// A small message is read whole by the first read, whose length then tells the file's size:
// at start-up, with a million messages, every system call counts.
constexpr std::size_t kFirstRead = 8192;

// `bytes`: what the first read got.
Result<HeaderBytes> read_header_bytes(const FileDescriptor& fd, const fs::path& path,
                                      std::uint64_t file_size, std::string bytes) {
    std::size_t chunk = kFirstRead;
    for (;;) {
        if (auto length = queue_file_header_length(bytes)) {
            return HeaderBytes{std::move(bytes), *length};
        }
        if (bytes.size() >= file_size || bytes.size() >= kMaxHeaderSize) break;
        chunk *= 2;
        std::size_t want =
            static_cast<std::size_t>(std::min<std::uint64_t>(chunk, file_size - bytes.size()));
        if (int err = fd.read_at(bytes.size(), want, bytes); err != 0) {
            return Error{describe_errno("read", path, err)};
        }
    }
    return Error{path.string() + ": incomplete (no data size record)"};
}

// `directory`, when given, is the open bucket that holds it: no walk down the whole path.
Result<QueueFile> open_queue_file(const fs::path& path, std::string_view id, int flags,
                                  const FileDescriptor* directory = nullptr) {
    // Not a symlink out of the spool, and no hang on a FIFO someone put there; no inode write
    // for reading it (kScheduleFlags).
    flags |= O_NOFOLLOW | O_NONBLOCK | O_NOATIME;
    QueueFile file{directory ? FileDescriptor::open_in(*directory, std::string(id), flags)
                             : FileDescriptor::open(path, flags),
                   {}};
    if (!file.fd) {
        if (errno == ENOENT) return Error{"no message " + std::string(id) + " in the queue"};
        return Error{describe_errno("open", path, errno)};
    }
    // A FIFO, a directory or a device fails this read (ESPIPE, EISDIR, ...) or the stat.
    std::string first;
    if (int err = file.fd.read_some_at(0, kFirstRead, first); err != 0) {
        return Error{describe_errno("read", path, err)};
    }
    // A short read that ends like a queue file is the whole of it (the size its header gives
    // confirms that below); anything else is measured.
    std::uint64_t size = first.size();
    if (first.size() == kFirstRead || !first.ends_with(kEndRecord)) {
        if (int err = file.fd.regular_file_size(size); err != 0) {
            return Error{describe_errno("stat", path, err)};
        }
    }
    auto read = read_header_bytes(file.fd, path, size, std::move(first));
    if (!read) return Error{read.error()};
    auto header =
        parse_queue_file_header(std::string_view(read->bytes).substr(0, read->header_length));
    if (!header) return Error{path.string() + ": " + header.error()};
    if (size != header->file_size()) {
        return Error{path.string() + ": incomplete (" + std::to_string(size) + " bytes, " +
                     std::to_string(header->file_size()) + " expected)"};
    }
    std::string tail;
    if (read->bytes.size() == size) {
        tail = read->bytes.substr(size - kEndRecord.size());
    } else if (int err = file.fd.read_at(size - kEndRecord.size(), kEndRecord.size(), tail);
               err != 0) {
        return Error{describe_errno("read", path, err)};
    }
    if (tail != kEndRecord) return Error{path.string() + ": incomplete (no end record)"};
    file.header = std::move(*header);
    file.first_bytes = std::move(read->bytes);
    return file;
}

SpooledMessage message_of(std::string_view id, QueueFileHeader& h) {
    SpooledMessage message{std::string(id), std::move(h.envelope), {}, h.held, h.data_size};
    message.recipients.reserve(h.states.size());
    for (std::size_t i = 0; i < h.states.size(); ++i) {
        message.recipients.push_back({message.envelope.recipients[i], h.states[i]});
    }
    return message;
}

Result<SpooledMessage> load_queue_file(const fs::path& path, std::string_view id,
                                       const FileDescriptor* directory = nullptr) {
    auto file = open_queue_file(path, id, O_RDONLY, directory);
    if (!file) return Error{file.error()};
    return message_of(id, file->header);
}

// The data of an open queue file; a small message's came with its header.
Result<std::string> data_of(const QueueFile& file, const fs::path& path) {
    const auto& h = file.header;
    if (file.first_bytes.size() >= h.data_offset + h.data_size) {
        return file.first_bytes.substr(h.data_offset, h.data_size);
    }
    std::string data;
    if (int err = file.fd.read_at(h.data_offset, h.data_size, data); err != 0) {
        return Error{describe_errno("read", path, err)};
    }
    if (data.size() != h.data_size) return Error{path.string() + ": shorter than its data size"};
    return data;
}

struct ByteAt {
    std::uint64_t offset;
    char byte;
};

// All of them, then (with `sync`) one fdatasync.
Status write_in_place(const QueueFile& file, const fs::path& path, const std::vector<ByteAt>& bytes,
                      bool sync) {
    for (const auto& b : bytes) {
        if (int err = file.fd.pwrite_byte(b.byte, b.offset); err != 0) {
            return Error{describe_errno("write", path, err)};
        }
    }
    if (!sync) return ok_status();
    if (int err = file.fd.data_sync(); err != 0) {
        return Error{describe_errno("fdatasync", path, err)};
    }
    return ok_status();
}

// An unwritten queue file, checked as open_queue_file() checks one on disk.
Result<QueueFile> unwritten_queue_file(std::string_view id, const std::string& bytes) {
    const auto length = queue_file_header_length(bytes);
    if (!length) return Error{"message " + std::string(id) + ": incomplete (no data size record)"};
    auto header = parse_queue_file_header(std::string_view(bytes).substr(0, *length));
    if (!header) return Error{"message " + std::string(id) + ": " + header.error()};
    return QueueFile{FileDescriptor(), std::move(*header), bytes};
}

// The bytes that record `marks` in the file `header` describes.
Result<std::vector<ByteAt>> recipient_bytes(std::string_view id, const QueueFileHeader& header,
                                            const std::vector<RecipientMark>& marks) {
    std::vector<ByteAt> bytes;
    bytes.reserve(marks.size());
    for (const auto& mark : marks) {
        if (mark.index >= header.state_offsets.size()) {
            return Error{"message " + std::string(id) + " has no recipient #" +
                         std::to_string(mark.index)};
        }
        bytes.push_back({header.state_offsets[mark.index], to_record_byte(mark.state)});
    }
    return bytes;
}

// The held flag's byte, refused when it says so already: an administrator told "ok" for what
// changed nothing would believe it did.
Result<std::vector<ByteAt>> held_byte(std::string_view id, const QueueFileHeader& header,
                                      bool held) {
    if (header.held == held) {
        return Error{"message " + std::string(id) + (held ? " is held already" : " is not held")};
    }
    return std::vector<ByteAt>{{header.held_offset, held ? kHeldFlag : kActiveFlag}};
}

// The bytes `pick` chooses from the header of the queue file `bytes`, set.
template <typename Pick>
Status change_bytes(std::string_view id, std::string& bytes, Pick pick) {
    auto file = unwritten_queue_file(id, bytes);
    if (!file) return Error{file.error()};
    auto changed = pick(file->header);
    if (!changed) return Error{changed.error()};
    for (const auto& b : *changed) bytes[b.offset] = b.byte;
    return ok_status();
}

// The same in message `id`'s file: in its unwritten copy when it has one, else in place on
// disk (then, with `sync`, flushed).
template <typename Pick>
Status change_queue_file(UnwrittenFiles& unwritten, std::string_view id, const fs::path& path,
                         Pick pick, bool sync) {
    auto in_memory =
        unwritten.with(id, [&](std::string& bytes) { return change_bytes(id, bytes, pick); });
    if (in_memory) return *in_memory;
    auto file = open_queue_file(path, id, O_RDWR);
    if (!file) return Error{file.error()};
    auto changed = pick(file->header);
    if (!changed) return Error{changed.error()};
    return write_in_place(*file, path, *changed, sync);
}

// Writes a whole queue file by way of `temp` (no flush: the caller's checkpoint or syncfs
// makes it durable); "" when done, else why not.
std::string write_queue_file(const fs::path& temp, const fs::path& path, std::string_view file) {
    auto fd = FileDescriptor::open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (!fd) return describe_errno("create", temp, errno);
    const std::array<std::string_view, 1> pieces{file};
    if (int err = fd.write_all(pieces); err != 0) {
        ::unlink(temp.c_str());
        return describe_errno("write", temp, err);
    }
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(temp.c_str());
        return describe_errno("rename to", path, err);
    }
    return "";
}

// The queue file whole, as its M record and an unwritten file hold it.
Result<std::string> queue_file_bytes(std::string_view header, std::string_view head,
                                     const IncomingText* text, std::uint64_t from,
                                     std::uint64_t copied) {
    std::string file;
    file.reserve(header.size() + head.size() + copied + kEndRecord.size());
    file.append(header).append(head);
    if (text) {
        if (int err = text->read_at(from, copied, file); err != 0) {
            return Error{describe_errno("read", text->path(), err)};
        }
    }
    file.append(kEndRecord);
    return file;
}

// Anything but a regular file fails the read (ESPIPE for a FIFO, EISDIR, ...). A schedule is
// a few hundred bytes, a long one up to kMaxScheduleSize: a first read of a page takes most
// whole (a regular file's read is short only at its end), where a buffer of the largest size
// was zeroed for each.
std::optional<Schedule> read_schedule(const FileDescriptor& fd) {
    constexpr std::size_t kFirstScheduleRead = 4096;
    std::string text;
    if (!fd || fd.read_some_at(0, kFirstScheduleRead, text) != 0) return std::nullopt;
    if (text.size() == kFirstScheduleRead &&
        fd.read_at(text.size(), kMaxScheduleSize - text.size(), text) != 0) {
        return std::nullopt;
    }
    return parse_schedule(text);
}

std::string not_an_id(std::string_view id) {
    return "'" + std::string(id.substr(0, 64)) + "' is not a message id";
}

}  // namespace

void RecoveryReport::add(RecoveryReport&& other) {
    kept += other.kept;
    removed += other.removed;
    std::move(other.removed_ids.begin(), other.removed_ids.end(), std::back_inserter(removed_ids));
    std::move(other.problems.begin(), other.problems.end(), std::back_inserter(problems));
}

bool SpooledMessage::finished() const {
    return std::none_of(recipients.begin(), recipients.end(), [](const SpooledRecipient& r) {
        return r.state == RecipientState::pending;
    });
}

Spool::Spool(fs::path dir) : dir_(std::move(dir)), sync_(std::make_unique<DirectorySync>()) {}
Spool::~Spool() = default;
Spool::Spool(Spool&&) noexcept = default;
Spool& Spool::operator=(Spool&&) noexcept = default;

Status Spool::open() {
    std::error_code ec;
    if (!fs::exists(dir_, ec)) {
        fs::create_directories(dir_, ec);
        if (ec) return Error{"mkdir " + dir_.string() + ": " + ec.message()};
        fs::permissions(dir_, fs::perms::owner_all, ec);
    }
    bool top_created = false;
    for (auto name : {kIncoming, kQueue, kSchedule, kCorrupt, kJournal}) {
        if (auto made = make_directory(dir_ / name, top_created); !made) return made;
    }
    for (auto name : {kQueue, kSchedule}) {
        bool bucket_created = false;
        for (unsigned b = 0; b < kBuckets; ++b) {
            auto made = make_directory(dir_ / name / bucket_name(b), bucket_created);
            if (!made) return made;
        }
        // A bucket must outlive a crash as surely as the messages renamed into it.
        if (bucket_created) {
            if (auto synced = fsync_directory(dir_ / name); !synced) return synced;
        }
    }
    if (top_created) return fsync_directory(dir_);
    return ok_status();
}

Result<Spool::JournalSettled> Spool::open_journal(std::chrono::milliseconds checkpoint_interval,
                                                  Journal::Trouble trouble) {
    auto settled = settle_journal();
    if (!settled) return settled;
    // Captures no `this`: the spool may move.
    auto write_out = [unwritten = unwritten_, writer = file_writer()] {
        return unwritten->write_all(writer);
    };
    auto opened = Journal::open(dir_ / kJournal, dir_, checkpoint_interval, std::move(trouble),
                                std::move(write_out));
    if (!opened) return Error{opened.error()};
    journal_ = std::move(*opened);
    return settled;
}

Result<Spool::JournalSettled> Spool::settle_journal() {
    JournalSettled settled;
    const auto segments = Journal::segments(dir_ / kJournal);
    if (segments.empty()) return settled;
    std::vector<JournalRecord> records;
    for (const auto& segment : segments) {
        auto fd = FileDescriptor::open(segment, O_RDONLY | O_NOFOLLOW);
        std::uint64_t size = 0;
        std::string text;
        int err = fd ? fd.regular_file_size(size) : errno;
        if (err == 0) err = fd.read_at(0, size, text);
        if (err != 0) return Error{describe_errno("read", segment, err)};
        auto read = read_journal_records(text);
        settled.torn = settled.torn || !read.complete;
        std::move(read.records.begin(), read.records.end(), std::back_inserter(records));
    }
    settled.segments = segments.size();
    settled.records = records.size();
    for (const auto& [id, message] : fold_journal(records)) apply_journaled(id, message, settled);
    const auto dir = FileDescriptor::open(dir_, O_RDONLY | O_DIRECTORY);
    if (!dir || ::syncfs(dir.get()) != 0) return Error{describe_errno("syncfs", dir_, errno)};
    if (auto removed = Journal::remove_segments(segments); !removed) {
        return Error{removed.error()};
    }
    return settled;
}

// Makes the message's file say what the journal says: gone once finished or deleted,
// written again when the crash lost it, with its outcomes and flag in place.
void Spool::apply_journaled(const std::string& id, const JournaledMessage& message,
                            JournalSettled& settled) {
    if (!is_valid_message_id(id)) return;
    const auto path = path_of(id);
    // As unlink_message: a schedule only beside a queue file (drop_orphan_schedules takes any
    // other). Most messages a journal finished were never written: one unlink finds nothing.
    auto finish = [&] {
        if (::unlink(path.c_str()) != 0) return;
        ++settled.removed;
        ::unlink(schedule_path_of(id).c_str());
    };
    if (message.removed || message.finished()) return finish();
    if (message.stored && !open_queue_file(path, id, O_RDONLY) &&
        write_queue_file(dir_ / kIncoming / id, path, *message.stored).empty()) {
        ++settled.restored;
    }
    if (!message.marks.empty()) static_cast<void>(mark_in_place(id, message.marks, false));
    // Already so (the write reached the file): refused, and nothing to do.
    if (message.held) static_cast<void>(flag_in_place(id, *message.held, false));
    // Outcomes of a message stored before the journal began may have finished it (with its
    // M record, finished() above knew).
    if (message.stored || message.marks.empty()) return;
    if (auto loaded = load(id); loaded && loaded->finished()) finish();
}

void Spool::close_journal() {
    journal_.reset();
}

std::uint64_t Spool::journal_flushes() const {
    return journal_ ? journal_->flushes() : 0;
}

bool Spool::journal_disk_full() const {
    return journal_ && journal_->disk_full();
}

UnwrittenFiles::Writer Spool::file_writer() const {
    return [dir = dir_](const std::string& id, const std::string& file) {
        return write_queue_file(dir / kIncoming / id, dir / kQueue / bucket_of(id) / id, file);
    };
}

Status Spool::write_unwritten(std::string_view id) {
    if (auto error = unwritten_->write_one(id, file_writer()); !error.empty()) return Error{error};
    return ok_status();
}

Status Spool::checkpoint() {
    return journal_ ? journal_->checkpoint() : ok_status();
}

fs::path Spool::path_of(std::string_view id) const {
    return dir_ / kQueue / bucket_of(id) / std::string(id);
}

fs::path Spool::schedule_path_of(std::string_view id) const {
    return dir_ / kSchedule / bucket_of(id) / std::string(id);
}

StoreStatus Spool::store(std::string_view id, const message::Envelope& envelope,
                         std::string_view data) {
    return write_message(id, envelope, data, nullptr, 0);
}

StoreStatus Spool::store(std::string_view id, const message::Envelope& envelope,
                         std::string_view head, const IncomingText& text, std::uint64_t from) {
    if (!text.error().empty()) return StoreStatus::failure(text.error(), text.disk_full());
    if (from > text.size()) return StoreStatus::failure("incoming text shorter than said", false);
    return write_message(id, envelope, head, &text, from);
}

bool Spool::store_in_memory(std::string_view id, const message::Envelope& envelope,
                            std::string_view head, const IncomingText& text, std::uint64_t from,
                            Journal::Committed committed) {
    if (text.on_disk() || !text.error().empty() || from > text.size() || !is_valid_message_id(id)) {
        return false;
    }
    const std::uint64_t copied = text.size() - from;
    const std::string header = encode_queue_file_header(envelope, head.size() + copied);
    if (!journals(header, head, copied)) return false;
    auto bytes = queue_file_bytes(header, head, &text, from, copied);
    if (!bytes || !unwritten_->keep(id, *bytes)) return false;
    std::string record;
    append_journal_record(record, JournalKind::message, id, *bytes);
    journal_->commit(record, [this, id = std::string(id),
                              committed = std::move(committed)](const std::string& error) {
        if (!error.empty()) forget_unacknowledged(id);
        committed(error);
    });
    return true;
}

IncomingText Spool::create_incoming() {
    return IncomingText(dir_ / kIncoming, text_memory_);
}

StoreStatus Spool::write_message(std::string_view id, const message::Envelope& envelope,
                                 std::string_view head, const IncomingText* text,
                                 std::uint64_t from) {
    if (!is_valid_message_id(id)) return StoreStatus::failure(not_an_id(id), false);
    const std::uint64_t copied = text ? text->size() - from : 0;
    const std::string header = encode_queue_file_header(envelope, head.size() + copied);
    // Journaled, the file needs no flush of its own: its record is its durability. Nor need it
    // be written yet (unwritten_files.hpp), while there is memory for it.
    const bool journaled = journals(header, head, copied);
    std::string file;  // journaled: the whole file, its record
    if (journaled) {
        auto bytes = queue_file_bytes(header, head, text, from, copied);
        if (!bytes) return StoreStatus::failure(bytes.error(), false);
        if (unwritten_->keep(id, *bytes)) return keep_unwritten(id, *bytes);
        file = std::move(*bytes);
    }

    const fs::path temp = dir_ / kIncoming / std::string(id);
    const fs::path final_path = path_of(id);
    auto fail = [&](std::string_view operation, const fs::path& path, int err) {
        ::unlink(temp.c_str());
        return StoreStatus::failure(describe_errno(operation, path, err), is_disk_full(err));
    };

    auto fd = FileDescriptor::open(temp, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (!fd) {
        int err = errno;
        std::string why = err == EEXIST ? "message id " + std::string(id) + " is already in use"
                                        : describe_errno("create", temp, err);
        return StoreStatus::failure(std::move(why), is_disk_full(err));
    }
    // Held until the rename: recover() in another process leaves a locked file alone.
    if (::flock(fd.get(), LOCK_EX) != 0) return fail("lock", temp, errno);

    if (text) {
        const std::array<std::string_view, 2> pieces{header, head};
        if (int err = fd.write_all(pieces); err != 0) return fail("write", temp, err);
        if (int err = text->copy_to(fd, from, copied); err != 0) {
            return fail("copy to", temp, err);
        }
        const std::array<std::string_view, 1> end{kEndRecord};
        if (int err = fd.write_all(end); err != 0) return fail("write", temp, err);
    } else {
        const std::array<std::string_view, 3> pieces{header, head, kEndRecord};
        if (int err = fd.write_all(pieces); err != 0) return fail("write", temp, err);
    }
    if (!journaled) {
        if (int err = fd.data_sync(); err != 0) return fail("fdatasync", temp, err);
    }
    if (int err = rename_no_replace(temp, final_path); err != 0) {
        return fail("rename to", final_path, err);
    }
    fd.reset();
    auto durable =
        journaled ? journal(JournalKind::message, id, file) : sync_->sync(final_path.parent_path());
    if (!durable) {
        // Not durable, so not acknowledged: the client will send it again.
        ::unlink(final_path.c_str());
        return StoreStatus::failure(durable.error(), false);
    }
    return StoreStatus::success();
}

bool Spool::journals(std::string_view header, std::string_view head, std::uint64_t copied) const {
    return journal_ &&
           header.size() + head.size() + copied + kEndRecord.size() <= kMaxJournaledMessage;
}

// Kept before its record is committed: a checkpoint between the two then writes the file,
// and one after finds the record in its new segment. Never the other way round, which would
// let a checkpoint delete the record of a file it had not written.
StoreStatus Spool::keep_unwritten(std::string_view id, const std::string& file) {
    auto durable = journal(JournalKind::message, id, file);
    if (durable) return StoreStatus::success();
    forget_unacknowledged(id);
    return StoreStatus::failure(durable.error(), journal_->disk_full());
}

// Not acknowledged: gone from memory, or from the disk if a checkpoint wrote it meanwhile.
void Spool::forget_unacknowledged(std::string_view id) {
    if (!unwritten_->drop(id)) ::unlink(path_of(id).c_str());
}

Status Spool::journal(JournalKind kind, std::string_view id, std::string_view payload) {
    std::string record;
    append_journal_record(record, kind, id, payload);
    return journal_->commit(record);
}

SpooledMessageWithData as_just_stored(std::string_view id, message::Envelope envelope,
                                      std::string data) {
    // The queue file keeps the arrival in microseconds.
    envelope.arrival = std::chrono::time_point_cast<std::chrono::microseconds>(envelope.arrival);
    SpooledMessage message{std::string(id), std::move(envelope), {}, false, data.size()};
    message.recipients.reserve(message.envelope.recipients.size());
    for (const auto& address : message.envelope.recipients) message.recipients.push_back({address});
    return SpooledMessageWithData{std::move(message), std::move(data)};
}

Result<QueueFile> Spool::open_message(std::string_view id, int flags) const {
    auto kept = unwritten_->with(
        id, [id](const std::string& bytes) { return unwritten_queue_file(id, bytes); });
    if (kept) return std::move(*kept);
    return open_queue_file(path_of(id), id, flags);
}

Result<SpooledMessage> Spool::load(std::string_view id) const {
    if (!is_valid_message_id(id)) return Error{not_an_id(id)};
    auto file = open_message(id, O_RDONLY);
    if (!file) return Error{file.error()};
    return message_of(id, file->header);
}

Result<std::string> Spool::read_data(std::string_view id) const {
    if (!is_valid_message_id(id)) return Error{not_an_id(id)};
    auto file = open_message(id, O_RDONLY);
    if (!file) return Error{file.error()};
    return data_of(*file, path_of(id));
}

Result<SpooledMessageWithData> Spool::load_with_data(std::string_view id) const {
    if (!is_valid_message_id(id)) return Error{not_an_id(id)};
    auto file = open_message(id, O_RDONLY);
    if (!file) return Error{file.error()};
    return SpooledMessageWithData{message_of(id, file->header), data_of(*file, path_of(id))};
}

// Journaled, the bytes are written in place without a flush, then recorded.
Status Spool::mark_recipients(std::string_view id, const std::vector<RecipientMark>& marks) {
    auto marked = mark_in_place(id, marks, !journal_);
    if (!marked || !journal_) return marked;
    return journal(JournalKind::outcomes, id, encode_outcomes(marks));
}

bool Spool::mark_in_memory(std::string_view id, const std::vector<RecipientMark>& marks,
                           bool then_remove, Journal::Committed committed) {
    if (!journal_ || !is_valid_message_id(id)) return false;
    auto marked = unwritten_->with(id, [&](std::string& bytes) {
        return change_bytes(id, bytes, [&](const QueueFileHeader& header) {
            return recipient_bytes(id, header, marks);
        });
    });
    if (!marked) return false;
    if (!*marked) {
        committed(marked->error());
        return true;
    }
    std::string record;
    append_journal_record(record, JournalKind::outcomes, id, encode_outcomes(marks));
    // The connection has taken its next message already: nobody waits for this flush.
    journal_->commit(
        record,
        [this, id = std::string(id), then_remove,
         committed = std::move(committed)](const std::string& error) {
            if (error.empty() && then_remove) static_cast<void>(remove_finished(id));
            committed(error);
        },
        Journal::Urgency::may_wait);
    return true;
}

Status Spool::mark_in_place(std::string_view id, const std::vector<RecipientMark>& marks,
                            bool sync) {
    if (!is_valid_message_id(id)) return Error{not_an_id(id)};
    auto pick = [&](const QueueFileHeader& header) { return recipient_bytes(id, header, marks); };
    return change_queue_file(*unwritten_, id, path_of(id), pick, sync);
}

Status Spool::set_held(std::string_view id, bool held) {
    if (!is_valid_message_id(id)) return Error{not_an_id(id)};
    auto flagged = flag_in_place(id, held, !journal_);
    if (!flagged || !journal_) return flagged;
    return journal(JournalKind::held, id, held ? "h" : "-");
}

Status Spool::flag_in_place(std::string_view id, bool held, bool sync) {
    auto pick = [&](const QueueFileHeader& header) { return held_byte(id, header, held); };
    return change_queue_file(*unwritten_, id, path_of(id), pick, sync);
}

Status Spool::remove(std::string_view id) {
    auto removed = unlink_message(id);
    if (!removed || !journal_) return removed;
    return journal(JournalKind::removed, id, "");
}

// No record: were the unlink lost in a crash, replay or the next delivery attempt would find
// nothing pending and remove the file again.
Status Spool::remove_finished(std::string_view id) {
    return unlink_message(id);
}

Status Spool::unlink_message(std::string_view id) {
    if (!is_valid_message_id(id)) return Error{not_an_id(id)};
    // A message never written has no schedule either: an attempt that leaves it queued
    // writes its file before the schedule. (Only when that write failed can one be left
    // behind, which the next start's drop_orphan_schedules removes.) This runs on the
    // journal's thread, ahead of the batch's other callbacks: no unlink there that finds
    // nothing.
    if (unwritten_->drop(id)) return ok_status();
    auto path = path_of(id);
    if (::unlink(path.c_str()) != 0) {
        if (errno == ENOENT) return Error{"no message " + std::string(id) + " in the queue"};
        return Error{describe_errno("unlink", path, errno)};
    }
    ::unlink(schedule_path_of(id).c_str());
    return ok_status();
}

std::vector<std::string> Spool::list() const {
    // The unwritten first: one a checkpoint writes meanwhile is then in both lists, not in
    // neither.
    std::vector<std::string> ids = unwritten_->ids();
    for (unsigned b = 0; b < kBuckets; ++b) {
        auto bucket = bucket_name(b);
        for (auto& name : names_in(dir_ / kQueue / bucket)) {
            if (!is_valid_message_id(name) || bucket_of(name) != bucket) continue;
            if (open_queue_file(path_of(name), name, O_RDONLY)) ids.push_back(std::move(name));
        }
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
}

RecoveryReport Spool::recover(const KeptMessage& kept) {
    RecoveryReport report = recover_incoming();
    RecoveryReport loaded = load_queue([&](std::vector<LoadedMessage>&& batch) {
        if (!kept) return true;
        for (auto& [message, schedule] : batch) kept(std::move(message), std::move(schedule));
        return true;
    });
    report.add(std::move(loaded));
    return report;
}

RecoveryReport Spool::recover_incoming() const {
    RecoveryReport report;
    for (const auto& name : names_in(dir_ / kIncoming)) {
        auto path = dir_ / kIncoming / name;
        auto fd = FileDescriptor::open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
        // Locked: another process (herald sendmail) is writing it right now.
        if (fd && ::flock(fd.get(), LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) continue;
        if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
            report.problems.push_back(describe_errno("unlink", path, errno));
            continue;
        }
        ++report.removed;
        report.removed_ids.push_back(name);
        report.problems.push_back(path.string() + ": unfinished write removed");
    }
    return report;
}

// Threads read side by side: with a long queue, start-up time goes to system calls (open,
// read, close per message) and to waiting for the disk, which threads share out. Each takes
// the next range of ids, and the ranges are handed over in their order: the oldest first.
RecoveryReport Spool::load_queue(const KeptBatch& kept,
                                 const std::function<void(std::size_t)>& found) const {
    RecoveryReport report;
    const NameList queued = list_queue(report);
    if (found) found(queued.size());
    const NameList scheduled = list_schedules();
    // Each file opened in its open bucket: no walk down the whole path for each.
    OpenBuckets buckets;
    for (unsigned b = 0; b < kBuckets; ++b) {
        buckets.queue.push_back(
            FileDescriptor::open(dir_ / kQueue / bucket_name(b), O_RDONLY | O_DIRECTORY));
        buckets.schedule.push_back(
            FileDescriptor::open(dir_ / kSchedule / bucket_name(b), O_RDONLY | O_DIRECTORY));
    }
    std::vector<RecoveryReport> reports(kRecoveryThreads);
    std::atomic<std::size_t> next{0};
    std::size_t turn = 0;  // the range to hand over next
    bool stopping = false;
    std::mutex mutex;
    std::condition_variable handed_over;
    auto work = [&](RecoveryReport& mine) {
        for (;;) {
            const std::size_t first = next.fetch_add(kHandOverBatch);
            if (first >= queued.size()) return;
            const std::size_t end = std::min(first + kHandOverBatch, queued.size());
            auto batch = load_range(queued, first, end, scheduled, buckets, mine);
            std::unique_lock lock(mutex);
            handed_over.wait(lock, [&] { return turn == first || stopping; });
            if (!stopping && !batch.empty() && kept && !kept(std::move(batch))) stopping = true;
            turn = end;
            handed_over.notify_all();
            if (stopping) return;
        }
    };
    {
        std::vector<std::jthread> helpers;
        for (unsigned i = 1; i < kRecoveryThreads; ++i) {
            helpers.emplace_back([&, i] { work(reports[i]); });
        }
        work(reports[0]);
    }
    for (auto& mine : reports) report.add(std::move(mine));
    if (!stopping) drop_orphan_schedules(queued, scheduled);
    return report;
}

// Every queue file's name, sorted: ids sort by arrival time. A name that is not an id, or
// that is in another bucket than its own, is set aside at once.
NameList Spool::list_queue(RecoveryReport& report) const {
    NameList queued;
    for (unsigned b = 0; b < kBuckets; ++b) {
        const auto bucket = bucket_name(b);
        for (auto& name : names_in(dir_ / kQueue / bucket)) {
            if (is_valid_message_id(name) && bucket_of(name) == bucket) {
                queued.add(name);
                continue;
            }
            auto path = dir_ / kQueue / bucket / name;
            set_aside(path, name, path.string() + ": not a queue file name", report);
        }
    }
    queued.sort();
    return queued;
}

NameList Spool::list_schedules() const {
    NameList scheduled;
    for (unsigned b = 0; b < kBuckets; ++b) {
        for (auto& name : names_in(dir_ / kSchedule / bucket_name(b))) scheduled.add(name);
    }
    scheduled.sort();
    return scheduled;
}

std::vector<Spool::LoadedMessage> Spool::load_range(const NameList& queued, std::size_t first,
                                                    std::size_t end, const NameList& scheduled,
                                                    const OpenBuckets& buckets,
                                                    RecoveryReport& report) const {
    std::vector<LoadedMessage> batch;
    batch.reserve(end - first);
    for (std::size_t i = first; i < end; ++i) {
        const std::string name(queued[i]);
        const auto path = path_of(name);
        const auto b = bucket_index_of(name);
        auto message = load_queue_file(path, name, buckets.queue[b] ? &buckets.queue[b] : nullptr);
        if (!message) {
            // Delivered and removed since it was listed: nothing to say.
            if (is_gone(path)) continue;
            set_aside(path, name, message.error(), report);
            ::unlink(schedule_path_of(name).c_str());  // it left the queue: so does its schedule
            continue;
        }
        std::optional<Schedule> schedule;
        if (scheduled.contains(name)) {
            schedule = read_schedule(
                buckets.schedule[b]
                    ? FileDescriptor::open_in(buckets.schedule[b], name, kScheduleFlags)
                    : FileDescriptor::open(schedule_path_of(name), kScheduleFlags));
        }
        ++report.kept;
        batch.push_back({std::move(*message), std::move(schedule)});
    }
    return batch;
}

// Never acknowledged in this state, but kept for a human to look at rather than deleted: it
// left the queue either way.
void Spool::set_aside(const fs::path& path, std::string_view name, std::string why,
                      RecoveryReport& report) const {
    auto aside = dir_ / kCorrupt / std::string(name);
    if (::rename(path.c_str(), aside.c_str()) != 0) {
        report.problems.push_back(describe_errno("rename", path, errno));
        return;
    }
    ++report.removed;
    report.removed_ids.emplace_back(name);
    report.problems.push_back(std::move(why) + "; moved to " + aside.string());
}

// A schedule whose message is gone, and a temporary one that an earlier server left. Those
// of listed messages went with them (load_range, remove). The server runs meanwhile, so the
// file of a message stored since the listing is looked for before its schedule goes, and
// this server's own temporary files (named with its pid) are left alone.
void Spool::drop_orphan_schedules(const NameList& queued, const NameList& scheduled) const {
    const std::string ours = "." + std::to_string(::getpid()) + ".";
    for (std::size_t i = 0; i < scheduled.size(); ++i) {
        const std::string_view name = scheduled[i];
        const bool temporary = name.starts_with('.');
        if (temporary ? name.find(ours) != std::string_view::npos
                      : queued.contains(name) || !is_gone(path_of(name))) {
            continue;
        }
        // ".<id>.<pid>.<counter>": a temporary schedule is in its message's bucket too.
        const std::string_view id = temporary ? name.substr(1, name.find('.', 1) - 1) : name;
        ::unlink((dir_ / kSchedule / bucket_of(id) / std::string(name)).c_str());
    }
}

Status Spool::save_schedule(std::string_view id, const Schedule& schedule) {
    if (!is_valid_message_id(id)) return Error{not_an_id(id)};
    static std::atomic<std::uint64_t> counter{0};
    auto path = schedule_path_of(id);
    // A dot never starts an id: a leftover temporary file is never taken for a schedule.
    auto temp = path.parent_path() / ("." + std::string(id) + "." + std::to_string(::getpid()) +
                                      "." + std::to_string(counter.fetch_add(1)));
    auto fd = FileDescriptor::open(temp, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (!fd) return Error{describe_errno("create", temp, errno)};
    const std::string text = encode_schedule(schedule);
    const std::array<std::string_view, 1> pieces{text};
    int err = fd.write_all(pieces);
    // Once the sender was warned of the delay, a crash must not lose that fact (it would warn
    // again): the data before the rename, the directory after it.
    const bool durable = schedule.delay_warned.has_value();
    if (err == 0 && durable) err = fd.data_sync();
    fd.reset();
    if (err == 0 && ::rename(temp.c_str(), path.c_str()) != 0) err = errno;
    if (err != 0) {
        ::unlink(temp.c_str());
        return Error{describe_errno("write", path, err)};
    }
    if (durable) return fsync_directory(path.parent_path());
    return ok_status();
}

std::optional<Schedule> Spool::load_schedule(std::string_view id) const {
    if (!is_valid_message_id(id)) return std::nullopt;
    return read_schedule(FileDescriptor::open(schedule_path_of(id), kScheduleFlags));
}

std::uint64_t Spool::directory_sync_rounds() const {
    return sync_->rounds();
}

}  // namespace herald::spool
