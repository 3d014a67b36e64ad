#include "events/outbox.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <system_error>

#include <fmt/core.h>

namespace herald::events {

using spool::describe_errno;
using spool::FileDescriptor;

namespace {

// Reads are done in blocks of this size: peek() and the dead-letter move never hold more of a
// segment than one block and the lines asked for.
constexpr std::size_t kBlock = std::size_t{64} * 1024;
constexpr std::string_view kSuffix = ".events";
constexpr std::size_t kDigits = 16;
constexpr const char* kCursor = "cursor";
constexpr const char* kCursorTemporary = "cursor.new";

std::string segment_name(std::uint64_t sequence) {
    return fmt::format("{:016}{}", sequence, kSuffix);
}

std::optional<std::uint64_t> parse_segment_name(std::string_view name) {
    if (name.size() != kDigits + kSuffix.size() || !name.ends_with(kSuffix)) return std::nullopt;
    std::uint64_t sequence = 0;
    const char* end = name.data() + kDigits;
    auto [ptr, ec] = std::from_chars(name.data(), end, sequence);
    if (ec != std::errc() || ptr != end) return std::nullopt;
    return sequence;
}

// "<segment sequence> <byte offset>\n", nothing else.
std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_cursor(std::string_view text) {
    if (!text.ends_with('\n')) return std::nullopt;
    text.remove_suffix(1);
    const auto space = text.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    std::pair<std::uint64_t, std::uint64_t> cursor;
    const std::string_view first = text.substr(0, space);
    const std::string_view second = text.substr(space + 1);
    auto a = std::from_chars(first.data(), first.data() + first.size(), cursor.first);
    auto b = std::from_chars(second.data(), second.data() + second.size(), cursor.second);
    if (first.empty() || a.ec != std::errc() || a.ptr != first.data() + first.size()) {
        return std::nullopt;
    }
    if (second.empty() || b.ec != std::errc() || b.ptr != second.data() + second.size()) {
        return std::nullopt;
    }
    return cursor;
}

// What recovery needs to know of a segment: its size, where its last complete line ends and
// how many lines it holds, and how many of them end at or before `mark` (the cursor's offset)
// and where the last of those ends. A cursor that is not at the end of a line (it always is,
// unless the file lost data in a power cut) is rounded down: at least once, never skipped.
struct SegmentScan {
    std::uint64_t size = 0;
    std::uint64_t complete = 0;
    std::uint64_t lines = 0;
    std::uint64_t consumed_lines = 0;
    std::uint64_t consumed_bytes = 0;
};

Result<SegmentScan> scan_segment(const FileDescriptor& file, const std::filesystem::path& path,
                                 std::uint64_t mark) {
    SegmentScan scan;
    std::string block;
    for (;;) {
        block.clear();
        if (int err = file.read_at(scan.size, kBlock, block); err != 0) {
            return Error{describe_errno("read", path, err)};
        }
        if (block.empty()) break;
        for (std::size_t at = 0;;) {
            const auto newline = block.find('\n', at);
            if (newline == std::string::npos) break;
            const std::uint64_t end = scan.size + newline + 1;
            ++scan.lines;
            scan.complete = end;
            if (end <= mark) {
                ++scan.consumed_lines;
                scan.consumed_bytes = end;
            }
            at = newline + 1;
        }
        scan.size += block.size();
    }
    return scan;
}

Status sync_directory_of(const std::filesystem::path& path) {
    std::filesystem::path parent = path.parent_path();
    if (parent.empty()) parent = ".";
    FileDescriptor directory = FileDescriptor::open(parent, O_RDONLY | O_DIRECTORY);
    if (!directory) return Error{describe_errno("open", parent, errno)};
    if (int err = directory.full_sync(); err != 0) {
        return Error{describe_errno("fsync", parent, err)};
    }
    return ok_status();
}

}  // namespace

Result<std::unique_ptr<Outbox>> Outbox::open(std::filesystem::path directory,
                                             std::filesystem::path dead_letter, Options options) {
    if (options.max_events == 0 || options.segment_events == 0) {
        return Error{"outbox " + directory.string() +
                     ": max_events and segment_events must be at least 1"};
    }
    options.segment_events =
        std::min(options.segment_events, std::max<std::size_t>(1, options.max_events / 4));

    if (const auto parent = directory.parent_path(); !parent.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(parent, ec);
        if (ec) return Error{"create " + parent.string() + ": " + ec.message()};
    }
    if (::mkdir(directory.c_str(), 0700) == 0) {
        // Its entry must outlive a power cut as the segments in it do.
        if (auto synced = sync_directory_of(directory); !synced) return Error{synced.error()};
    } else if (errno != EEXIST) {
        return Error{describe_errno("create", directory, errno)};
    }
    FileDescriptor directory_fd = FileDescriptor::open(directory, O_RDONLY | O_DIRECTORY);
    if (!directory_fd) return Error{describe_errno("open", directory, errno)};
    // Two writers would interleave lines and cursors: refuse the second rather than corrupt.
    if (const int locked = directory_fd.try_lock(); locked != 0) {
        if (locked == EWOULDBLOCK) {
            return Error{"outbox " + directory.string() + " is in use by another outbox"};
        }
        return Error{describe_errno("lock", directory, locked)};
    }
    if (::unlinkat(directory_fd.get(), kCursorTemporary, 0) != 0 && errno != ENOENT) {
        const int err = errno;
        return Error{describe_errno("delete", directory / kCursorTemporary, err)};
    }

    std::vector<std::uint64_t> sequences;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(directory, ec), end; !ec && it != end;
         it.increment(ec)) {
        if (auto sequence = parse_segment_name(it->path().filename().string())) {
            sequences.push_back(*sequence);
        }
    }
    if (ec) return Error{"read " + directory.string() + ": " + ec.message()};
    std::sort(sequences.begin(), sequences.end());

    std::optional<std::pair<std::uint64_t, std::uint64_t>> cursor;
    const std::filesystem::path cursor_path = directory / kCursor;
    if (FileDescriptor file = FileDescriptor::open_in(directory_fd, kCursor, O_RDONLY)) {
        std::string text;
        if (int err = file.read_at(0, 128, text); err != 0) {
            return Error{describe_errno("read", cursor_path, err)};
        }
        cursor = parse_cursor(text);
        // It is only ever replaced whole, so a bad one is not a torn write: say so rather
        // than guess where delivery stopped.
        if (!cursor) {
            return Error{"outbox cursor " + cursor_path.string() +
                         " is malformed; remove it to deliver every event in the outbox again"};
        }
    } else if (errno != ENOENT) {
        return Error{describe_errno("open", cursor_path, errno)};
    }

    auto outbox = std::make_unique<Outbox>(Token{}, std::move(directory), std::move(dead_letter),
                                           options, std::move(directory_fd));
    if (auto recovered = outbox->recover(sequences, cursor); !recovered) {
        return Error{recovered.error()};
    }
    return outbox;
}

Outbox::Outbox(Token, std::filesystem::path directory, std::filesystem::path dead_letter,
               Options options, FileDescriptor directory_fd)
    : directory_(std::move(directory)),
      dead_letter_(std::move(dead_letter)),
      options_(options),
      directory_fd_(std::move(directory_fd)) {}

Outbox::~Outbox() {
    (void)sync();
}

Status Outbox::recover(const std::vector<std::uint64_t>& sequences,
                       std::optional<std::pair<std::uint64_t, std::uint64_t>> cursor) {
    std::lock_guard lock(mutex_);
    written_cursor_ = cursor;
    // Without a cursor nothing was delivered yet: the head is the start of the oldest segment.
    // With one whose segment is gone (deleted after the cursor moved past it, or the cursor
    // written before a power cut undid that deletion), the head is the start of the next.
    const std::uint64_t cursor_segment = cursor ? cursor->first : 0;
    const std::uint64_t cursor_offset = cursor ? cursor->second : 0;
    std::shared_ptr<FileDescriptor> newest;
    for (std::size_t i = 0; i < sequences.size(); ++i) {
        const std::uint64_t sequence = sequences[i];
        const std::filesystem::path path = segment_path(sequence);
        if (sequence < cursor_segment) {
            if (::unlinkat(directory_fd_.get(), segment_name(sequence).c_str(), 0) != 0 &&
                errno != ENOENT) {
                return Error{describe_errno("delete", path, errno)};
            }
            continue;
        }
        const bool is_newest = i + 1 == sequences.size();
        FileDescriptor file = FileDescriptor::open_in(directory_fd_, segment_name(sequence),
                                                      is_newest ? O_RDWR | O_APPEND : O_RDONLY);
        if (!file) return Error{describe_errno("open", path, errno)};
        const std::uint64_t mark = sequence == cursor_segment ? cursor_offset : 0;
        auto scan = scan_segment(file, path, mark);
        if (!scan) return Error{scan.error()};
        if (is_newest && scan->size > scan->complete) {
            // A line without its '\n' is one whose append() never returned: drop it, or the
            // next line would be glued to it.
            if (::ftruncate(file.get(), static_cast<off_t>(scan->complete)) != 0) {
                return Error{describe_errno("truncate", path, errno)};
            }
            if (int err = file.data_sync(); err != 0) {
                return Error{describe_errno("fdatasync", path, err)};
            }
        }
        if (segments_.empty()) {
            head_offset_ = scan->consumed_bytes;
            head_consumed_ = scan->consumed_lines;
        }
        segments_.push_back(Segment{sequence, scan->complete, scan->lines, nullptr});
        depth_ += scan->lines - (segments_.size() == 1 ? scan->consumed_lines : 0);
        if (is_newest) newest = std::make_shared<FileDescriptor>(std::move(file));
    }
    next_segment_ = std::max(sequences.empty() ? 0 : sequences.back(), cursor_segment) + 1;

    // The cursor on disk may name a segment that is wholly delivered: it can go now, as the
    // next open would start at the following segment anyway.
    while (segments_.size() > 1 && head_offset_ >= segments_.front().bytes) {
        const std::uint64_t sequence = segments_.front().sequence;
        if (::unlinkat(directory_fd_.get(), segment_name(sequence).c_str(), 0) != 0 &&
            errno != ENOENT) {
            const int err = errno;
            return Error{describe_errno("delete", segment_path(sequence), err)};
        }
        segments_.pop_front();
        head_offset_ = 0;
        head_consumed_ = 0;
    }

    // Made now rather than at the first event, so that a directory Herald cannot write to is
    // an error at start, not at the first event.
    if (!segments_.empty() && newest && segments_.back().events < options_.segment_events) {
        segments_.back().file = std::move(newest);
        return ok_status();
    }
    return start_segment();
}

std::filesystem::path Outbox::segment_path(std::uint64_t sequence) const {
    return directory_ / segment_name(sequence);
}

Status Outbox::start_segment() {
    const std::uint64_t sequence = next_segment_;
    FileDescriptor file = FileDescriptor::open_in(directory_fd_, segment_name(sequence),
                                                  O_RDWR | O_APPEND | O_CREAT | O_EXCL, 0600);
    if (!file) {
        const int err = errno;
        return Error{describe_errno("create", segment_path(sequence), err)};
    }
    ++next_segment_;
    if (!segments_.empty()) {
        Segment& previous = segments_.back();
        if (tail_dirty_) unsynced_.push_back(Unsynced{previous.sequence, previous.file});
        if (segments_.size() > 1) previous.file.reset();  // reopened for reading when needed
    }
    segments_.push_back(Segment{sequence, 0, 0, std::make_shared<FileDescriptor>(std::move(file))});
    tail_dirty_ = false;
    tail_broken_ = false;
    directory_dirty_ = true;
    return ok_status();
}

Result<const FileDescriptor*> Outbox::reader(Segment& segment) {
    if (!segment.file) {
        FileDescriptor file =
            FileDescriptor::open_in(directory_fd_, segment_name(segment.sequence), O_RDONLY);
        if (!file) {
            const int err = errno;
            return Error{describe_errno("open", segment_path(segment.sequence), err)};
        }
        segment.file = std::make_shared<FileDescriptor>(std::move(file));
    }
    return segment.file.get();
}

void Outbox::leave_exhausted_head() {
    while (segments_.size() > 1 && head_offset_ >= segments_.front().bytes) {
        doomed_.push_back(segments_.front().sequence);
        segments_.pop_front();
        head_offset_ = 0;
        head_consumed_ = 0;
    }
}

Result<std::size_t> Outbox::append(std::string_view line) {
    if (line.find('\n') != std::string_view::npos) {
        return Error{"outbox " + directory_.string() + ": an event line may not hold a newline"};
    }
    std::size_t moved = 0;
    std::string error;
    {
        std::lock_guard lock(mutex_);
        Room room = make_room();
        moved = room.moved;
        error = std::move(room.error);
        if (error.empty() && (tail_broken_ || segments_.back().events >= options_.segment_events)) {
            if (auto started = start_segment(); !started) error = started.error();
        }
        if (error.empty()) {
            Segment& tail = segments_.back();
            const std::array<std::string_view, 2> pieces{line, "\n"};
            if (int err = tail.file->write_all(pieces); err != 0) {
                // A part of the line may be in the file: cut it, or the next line would follow
                // it; when even that fails, the next line goes to a new segment, and recovery
                // ignores what follows this one's last complete line.
                if (::ftruncate(tail.file->get(), static_cast<off_t>(tail.bytes)) != 0) {
                    tail_broken_ = true;
                }
                error = describe_errno("write", segment_path(tail.sequence), err);
            } else {
                tail.bytes += line.size() + 1;
                ++tail.events;
                ++depth_;
                tail_dirty_ = true;
            }
        }
    }
    if (moved > 0) {
        // Without it the segments behind the moved events would stay on disk for as long as
        // the receiver is away: the very case the limit is for.
        if (auto written = write_cursor(); !written) {
            if (error.empty()) {
                return Error{fmt::format(
                    "outbox {}: the event is stored and the {} oldest events were moved to {}, "
                    "but the cursor could not be written: {}",
                    directory_.string(), moved, dead_letter_.string(), written.error())};
            }
            error += "; and the cursor could not be written: " + written.error();
        }
    }
    if (!error.empty()) {
        if (moved > 0) {
            error += fmt::format(" (the {} oldest events were moved to {} first)", moved,
                                 dead_letter_.string());
        }
        return Error{std::move(error)};
    }
    return moved;
}

Outbox::Room Outbox::make_room() {
    Room room;
    FileDescriptor dead;
    while (depth_ >= options_.max_events) {
        leave_exhausted_head();
        const Segment& head = segments_.front();
        const std::uint64_t rest = head.events - head_consumed_;
        // The whole rest of the head segment in one move, so that an outbox at its limit does
        // not pay for a move per event; only what is needed while the head segment is also
        // the one appended to (its events are then the newest).
        const std::uint64_t count =
            segments_.size() > 1 ? rest
                                 : std::min<std::uint64_t>(rest, depth_ + 1 - options_.max_events);
        if (count == 0) {
            room.error = "outbox " + directory_.string() + ": its count of events is wrong";
            return room;
        }
        if (!dead) {
            dead = FileDescriptor::open(dead_letter_, O_WRONLY | O_APPEND | O_CREAT, 0600);
            if (!dead) {
                room.error = describe_errno("open", dead_letter_, errno);
                return room;
            }
            if (!dead_letter_known_) {
                if (auto synced = sync_directory_of(dead_letter_); !synced) {
                    room.error = synced.error();
                    return room;
                }
                dead_letter_known_ = true;
            }
        }
        auto bytes = move_head_lines(count, dead);
        if (!bytes) {
            room.error = bytes.error();
            return room;
        }
        // On disk in the dead-letter file before the cursor can move past them. A failure
        // here leaves them in the outbox too: twice rather than lost.
        if (int err = dead.data_sync(); err != 0) {
            room.error = describe_errno("fdatasync", dead_letter_, err);
            return room;
        }
        head_offset_ += *bytes;
        head_consumed_ += count;
        head_sequence_ += count;
        depth_ -= count;
        room.moved += count;
        leave_exhausted_head();
    }
    return room;
}

Result<std::uint64_t> Outbox::move_head_lines(std::uint64_t count, const FileDescriptor& out) {
    Segment& head = segments_.front();
    const std::filesystem::path path = segment_path(head.sequence);
    auto file = reader(head);
    if (!file) return Error{file.error()};
    std::uint64_t position = head_offset_;
    std::uint64_t found = 0;
    std::string block;
    while (found < count && position < head.bytes) {
        block.clear();
        const auto want =
            static_cast<std::size_t>(std::min<std::uint64_t>(kBlock, head.bytes - position));
        if (int err = (*file)->read_at(position, want, block); err != 0) {
            return Error{describe_errno("read", path, err)};
        }
        if (block.size() != want) return Error{path.string() + ": shorter than written"};
        std::size_t take = block.size();
        for (std::size_t at = 0; found < count;) {
            const auto newline = block.find('\n', at);
            if (newline == std::string::npos) break;
            ++found;
            at = newline + 1;
            if (found == count) take = at;
        }
        const std::array<std::string_view, 1> piece{std::string_view(block).substr(0, take)};
        if (int err = out.write_all(piece); err != 0) {
            return Error{describe_errno("write", dead_letter_, err)};
        }
        position += take;
    }
    if (found != count) return Error{path.string() + ": fewer events than counted"};
    return position - head_offset_;
}

Result<Outbox::Batch> Outbox::peek(std::size_t count) {
    std::lock_guard lock(mutex_);
    Batch batch;
    batch.first = head_sequence_;
    batch.lines.reserve(std::min<std::size_t>(count, depth_));
    std::string block;
    std::string partial;
    for (std::size_t i = 0; i < segments_.size() && batch.lines.size() < count; ++i) {
        Segment& segment = segments_[i];
        std::uint64_t position = i == 0 ? head_offset_ : 0;
        if (position >= segment.bytes) continue;
        auto file = reader(segment);
        if (!file) return Error{file.error()};
        while (position < segment.bytes && batch.lines.size() < count) {
            block.clear();
            const auto want =
                static_cast<std::size_t>(std::min<std::uint64_t>(kBlock, segment.bytes - position));
            if (int err = (*file)->read_at(position, want, block); err != 0) {
                return Error{describe_errno("read", segment_path(segment.sequence), err)};
            }
            if (block.size() != want) {
                return Error{segment_path(segment.sequence).string() + ": shorter than written"};
            }
            position += want;
            std::string_view rest(block);
            while (batch.lines.size() < count) {
                const auto newline = rest.find('\n');
                if (newline == std::string_view::npos) {
                    partial.append(rest);
                    break;
                }
                partial.append(rest.substr(0, newline));
                batch.lines.push_back(std::move(partial));
                partial.clear();
                rest.remove_prefix(newline + 1);
            }
        }
        // Segments end with a complete line: what is left over belongs to a line not asked for.
        partial.clear();
        if (i > 0 && i + 1 < segments_.size()) segment.file.reset();
    }
    return batch;
}

Status Outbox::acknowledge(const Batch& batch) {
    {
        std::lock_guard lock(mutex_);
        const std::uint64_t end = batch.first + batch.lines.size();
        if (end <= head_sequence_) return ok_status();  // all dead-lettered, or acknowledged
        if (batch.first > head_sequence_) {
            return Error{
                fmt::format("outbox {}: acknowledge of events {} to {}, beyond the head {}",
                            directory_.string(), batch.first, end - 1, head_sequence_)};
        }
        // Walk the remainder first, so that a batch that does not match changes nothing.
        std::size_t segment = 0;
        std::uint64_t offset = head_offset_;
        std::uint64_t consumed = head_consumed_;
        for (std::size_t i = head_sequence_ - batch.first; i < batch.lines.size(); ++i) {
            while (offset >= segments_[segment].bytes && segment + 1 < segments_.size()) {
                ++segment;
                offset = 0;
                consumed = 0;
            }
            const std::uint64_t length = batch.lines[i].size() + 1;
            if (offset + length > segments_[segment].bytes) {
                return Error{"outbox " + directory_.string() +
                             ": acknowledged events run past the events it holds"};
            }
            offset += length;
            ++consumed;
        }
        for (; segment > 0; --segment) {
            doomed_.push_back(segments_.front().sequence);
            segments_.pop_front();
        }
        depth_ -= end - head_sequence_;
        head_sequence_ = end;
        head_offset_ = offset;
        head_consumed_ = consumed;
        leave_exhausted_head();
    }
    return write_cursor();
}

// Not base/state_file's replace_file(): it does not sync, so after a power cut the rename could
// be on disk without the text (an empty cursor, and open() refuses a malformed one). Here the
// text is fdatasync'd before the rename and the directory after it, and only then are the
// segments behind the head deleted.
Status Outbox::write_cursor() {
    std::lock_guard cursor_lock(cursor_mutex_);
    std::pair<std::uint64_t, std::uint64_t> head;
    std::vector<std::uint64_t> doomed;
    {
        std::lock_guard lock(mutex_);
        head = {segments_.front().sequence, head_offset_};
        doomed.swap(doomed_);
    }
    auto give_back = [&] {
        std::lock_guard lock(mutex_);
        doomed_.insert(doomed_.end(), doomed.begin(), doomed.end());
    };
    if (written_cursor_ != head) {
        const std::filesystem::path temporary = directory_ / kCursorTemporary;
        const std::string text = fmt::format("{} {}\n", head.first, head.second);
        FileDescriptor file = FileDescriptor::open_in(directory_fd_, kCursorTemporary,
                                                      O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int err = file ? 0 : errno;
        const char* operation = "create";
        if (err == 0) {
            const std::array<std::string_view, 1> piece{text};
            err = file.write_all(piece);
            operation = "write";
        }
        if (err == 0) {
            err = file.data_sync();
            operation = "fdatasync";
        }
        if (err != 0) {
            give_back();
            return Error{describe_errno(operation, temporary, err)};
        }
        file.reset();
        if (::renameat(directory_fd_.get(), kCursorTemporary, directory_fd_.get(), kCursor) != 0) {
            err = errno;
            give_back();
            return Error{describe_errno("rename", temporary, err)};
        }
        // The rename is durable once the directory is: only then may segments go.
        if (err = directory_fd_.full_sync(); err != 0) {
            give_back();
            return Error{describe_errno("fsync", directory_, err)};
        }
        written_cursor_ = head;
    }
    for (std::size_t i = 0; i < doomed.size(); ++i) {
        if (::unlinkat(directory_fd_.get(), segment_name(doomed[i]).c_str(), 0) != 0 &&
            errno != ENOENT) {
            const int err = errno;
            doomed.erase(doomed.begin(), doomed.begin() + static_cast<std::ptrdiff_t>(i));
            give_back();
            return Error{describe_errno("delete", segment_path(doomed.front()), err)};
        }
    }
    return ok_status();
}

Status Outbox::sync() {
    std::vector<Unsynced> files;
    bool directory = false;
    {
        std::lock_guard lock(mutex_);
        files.swap(unsynced_);
        if (tail_dirty_)
            files.push_back(Unsynced{segments_.back().sequence, segments_.back().file});
        tail_dirty_ = false;
        directory = directory_dirty_;
        directory_dirty_ = false;
    }
    std::string error;
    std::vector<Unsynced> failed;
    for (auto& unsynced : files) {
        if (int err = unsynced.file->data_sync(); err != 0) {
            if (error.empty())
                error = describe_errno("fdatasync", segment_path(unsynced.sequence), err);
            failed.push_back(std::move(unsynced));
        }
    }
    bool directory_failed = false;
    if (directory) {
        if (int err = directory_fd_.full_sync(); err != 0) {
            if (error.empty()) error = describe_errno("fsync", directory_, err);
            directory_failed = true;
        }
    }
    if (error.empty()) return ok_status();
    {
        // Tried again at the next sync (a second fdatasync after EIO may report success for
        // data that was lost, so the first error is the one to log).
        std::lock_guard lock(mutex_);
        for (auto& unsynced : failed) unsynced_.push_back(std::move(unsynced));
        directory_dirty_ = directory_dirty_ || directory_failed;
    }
    return Error{error};
}

std::size_t Outbox::depth() const {
    std::lock_guard lock(mutex_);
    return depth_;
}

}  // namespace herald::events
