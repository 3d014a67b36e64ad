#include "spool/journal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <optional>
#include <utility>

#include <fmt/format.h>

namespace herald::spool {

namespace fs = std::filesystem;

namespace {

constexpr int kDigits = 16;
constexpr const char* kPreparedName = "next";  // never a segment's name: 16 digits

std::string segment_name(std::uint64_t sequence) {
    return fmt::format("{:0{}}", sequence, kDigits);
}

bool is_segment_name(const std::string& name) {
    return name.size() == kDigits &&
           std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int fsync_directory_of(const fs::path& file) {
    auto dir = FileDescriptor::open(file.parent_path(), O_RDONLY | O_DIRECTORY);
    return dir ? dir.full_sync() : errno;
}

}  // namespace

std::vector<fs::path> Journal::segments(const fs::path& dir) {
    std::vector<fs::path> found;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (is_segment_name(it->path().filename().string())) found.push_back(it->path());
    }
    std::sort(found.begin(), found.end());
    return found;
}

Status Journal::remove_segments(const std::vector<fs::path>& segments) {
    for (const auto& segment : segments) {
        if (::unlink(segment.c_str()) != 0 && errno != ENOENT) {
            return Error{describe_errno("unlink", segment, errno)};
        }
        if (int err = fsync_directory_of(segment); err != 0) {
            return Error{describe_errno("fsync", segment.parent_path(), err)};
        }
    }
    return ok_status();
}

std::uint64_t Journal::prepared_size_after(std::uint64_t used) {
    if (used < kPrepareFrom) return 0;
    constexpr std::uint64_t kMiB = 1 << 20;
    const std::uint64_t wanted = (used + used / 4 + kMiB - 1) / kMiB * kMiB;
    return std::min(wanted, kPreparedAtMost);
}

Journal::Journal(fs::path dir, FileDescriptor spool_dir, FileDescriptor journal_dir)
    : dir_(std::move(dir)),
      spool_dir_(std::move(spool_dir)),
      journal_dir_(std::move(journal_dir)) {}

Result<std::unique_ptr<Journal>> Journal::open(const fs::path& dir, const fs::path& spool_dir,
                                               std::chrono::milliseconds interval, Trouble trouble,
                                               WriteOut write_out) {
    auto spool_fd = FileDescriptor::open(spool_dir, O_RDONLY | O_DIRECTORY);
    if (!spool_fd) return Error{describe_errno("open", spool_dir, errno)};
    auto dir_fd = FileDescriptor::open(dir, O_RDONLY | O_DIRECTORY);
    if (!dir_fd) return Error{describe_errno("open", dir, errno)};
    std::unique_ptr<Journal> journal(new Journal(dir, std::move(spool_fd), std::move(dir_fd)));
    journal->write_out_ = std::move(write_out);
    const auto existing = segments(dir);
    if (!existing.empty()) journal->sequence_ = std::stoull(existing.back().filename().string());
    ::unlink((dir / kPreparedName).c_str());  // one a crash left, perhaps half written
    if (auto error = journal->start_segment(); !error.empty()) return Error{error};
    journal->flusher_ = std::jthread([j = journal.get()] { j->flush_as_they_come(); });
    if (interval.count() > 0) {
        journal->checkpointer_ = std::jthread(
            [j = journal.get(), interval, trouble] { j->checkpoint_every(interval, trouble); });
    }
    return journal;
}

Journal::~Journal() {
    {
        std::lock_guard lock(stop_mutex_);
        stopping_ = true;
    }
    stop_.notify_all();
    if (checkpointer_.joinable()) checkpointer_.join();
    {
        std::lock_guard lock(open_mutex_);
        closing_ = true;
    }
    records_came_.notify_all();
    if (flusher_.joinable()) flusher_.join();
    // Nothing commits any more: once the files are durable, every segment can go.
    if (checkpoint_segments()) static_cast<void>(remove_segments(segments(dir_)));
    ::unlink((dir_ / kPreparedName).c_str());
}

void Journal::commit(std::string_view records, Committed committed, Urgency urgency) {
    bool wake = false;
    {
        std::lock_guard lock(open_mutex_);
        // The flusher waits for a batch to begin, then for an urgent record to end its wait:
        // a record that is neither changes nothing it waits for, and waking it for nothing
        // costs both threads a system call and a switch (under load, every other record).
        wake = open_.committed.empty() || (urgency == Urgency::now && !open_.urgent);
        if (open_.committed.empty()) open_.since = std::chrono::steady_clock::now();
        if (urgency == Urgency::now) open_.urgent = true;
        open_.records.append(records);
        open_.committed.push_back(std::move(committed));
    }
    if (wake) records_came_.notify_one();
}

void Journal::set_shared_flush_wait(std::chrono::milliseconds wait) {
    std::lock_guard lock(open_mutex_);
    shared_flush_wait_ = wait;
}

Status Journal::commit(std::string_view records) {
    std::mutex mutex;
    std::condition_variable flushed;
    std::optional<std::string> outcome;
    commit(records, [&](const std::string& error) {
        std::lock_guard lock(mutex);
        outcome = error;
        flushed.notify_one();
    });
    std::unique_lock lock(mutex);
    flushed.wait(lock, [&] { return outcome.has_value(); });
    if (!outcome->empty()) return Error{*outcome};
    return ok_status();
}

// The journal's thread: whatever came while the last flush ran is the next batch, so a lone
// record is flushed at once and a crowd shares one flush; records that may wait give one
// that may not a little time to come first. Drains what is left before closing.
void Journal::flush_as_they_come() {
    std::unique_lock lock(open_mutex_);
    for (;;) {
        records_came_.wait(lock, [this] { return closing_ || !open_.committed.empty(); });
        if (open_.committed.empty()) return;
        if (!open_.urgent) {
            records_came_.wait_until(lock, open_.since + shared_flush_wait_,
                                     [this] { return closing_ || open_.urgent; });
        }
        Batch batch = std::exchange(open_, Batch{});
        lock.unlock();
        flush(std::move(batch));  // gone before the lock is taken again
        lock.lock();
    }
}

void Journal::flush(Batch batch) {
    std::string error;
    {
        std::lock_guard segment(segment_mutex_);
        error = write_and_sync(batch.records);
    }
    ++flushes_;
    for (const auto& committed : batch.committed) committed(error);
}

std::string Journal::write_and_sync(const std::string& records) {
    if (segment_broken_) {
        if (auto error = start_segment(); !error.empty()) return error;
    }
    written_ = true;
    const auto path = dir_ / segment_name(sequence_);
    const std::array<std::string_view, 1> pieces{records};
    // At the file's position: the end of the records, within a prepared segment's zeros.
    int err = segment_.write_all(pieces);
    const char* operation = "write";
    if (err == 0) {
        written_bytes_ += records.size();
        err = segment_.data_sync();
        operation = "fdatasync";
    }
    disk_full_ = is_disk_full(err);
    if (err == 0) return "";
    // What follows a torn record could not be read back: the next batch starts afresh.
    segment_broken_ = true;
    return describe_errno(operation, path, err);
}

// A new segment, whose name is durable before any record in it counts: the prepared one
// when there is one, else an empty file. Written from its start, never appended to.
std::string Journal::start_segment() {
    const auto path = dir_ / segment_name(sequence_ + 1);
    FileDescriptor fd;
    if (std::exchange(next_prepared_, false) &&
        ::rename((dir_ / kPreparedName).c_str(), path.c_str()) == 0) {
        fd = FileDescriptor::open(path, O_WRONLY | O_NOFOLLOW);
        if (!fd) return describe_errno("open", path, errno);
    } else {
        fd = FileDescriptor::open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (!fd) return describe_errno("create", path, errno);
    }
    if (int err = journal_dir_.full_sync(); err != 0) return describe_errno("fsync", dir_, err);
    segment_ = std::move(fd);
    ++sequence_;
    segment_broken_ = false;
    previous_bytes_ = std::exchange(written_bytes_, 0);
    return "";
}

Status Journal::checkpoint() {
    auto done = checkpoint_segments();
    prepare_next_segment();
    return done;
}

// Outside the segment lock, so that no flush waits for the zeros; only the checkpointing
// thread prepares, and start_segment takes the file only once it is marked ready.
void Journal::prepare_next_segment() {
    std::uint64_t size = 0;
    {
        std::lock_guard segment(segment_mutex_);
        if (!next_prepared_) size = prepared_size_after(previous_bytes_);
    }
    if (size == 0) return;
    const auto path = dir_ / kPreparedName;
    auto fd = FileDescriptor::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
    static const std::string zeros(256 << 10, '\0');  // the sizes are whole MiB
    const std::array<std::string_view, 1> piece{zeros};
    int err = fd ? 0 : errno;
    for (std::uint64_t done = 0; err == 0 && done < size; done += zeros.size()) {
        err = fd.write_all(piece);
    }
    if (err == 0) err = fd.data_sync();
    if (err != 0) {  // a full disk, say: the next segment grows as it is written
        ::unlink(path.c_str());
        return;
    }
    std::lock_guard segment(segment_mutex_);
    next_prepared_ = true;
}

Status Journal::checkpoint_segments() {
    if (!written_.exchange(false)) return ok_status();
    std::uint64_t current = 0;
    std::string error;
    {
        std::lock_guard segment(segment_mutex_);
        error = start_segment();
        current = sequence_;
    }
    // Whatever is recorded only in the older segments reaches the files before they go.
    if (error.empty() && write_out_) error = write_out_();
    if (error.empty() && ::syncfs(spool_dir_.get()) != 0) {
        error = describe_errno("syncfs", dir_.parent_path(), errno);
    }
    if (!error.empty()) {
        written_ = true;  // the older segments stay, and the next checkpoint tries again
        return Error{"journal checkpoint: " + error};
    }
    auto older = segments(dir_);
    std::erase_if(
        older, [&](const fs::path& p) { return p.filename().string() >= segment_name(current); });
    return remove_segments(older);
}

void Journal::checkpoint_every(std::chrono::milliseconds interval, const Trouble& trouble) {
    std::unique_lock lock(stop_mutex_);
    while (!stop_.wait_for(lock, interval, [this] { return stopping_; })) {
        lock.unlock();
        if (auto done = checkpoint(); !done && trouble) trouble(done.error());
        lock.lock();
    }
}

}  // namespace herald::spool
