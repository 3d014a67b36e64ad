#pragma once
// The Idempotency-Key header of POST /api/v1/messages (draft-ietf-httpapi-idempotency-key-
// header): a client that retries a request with the same key gets the first answer again
// instead of a second copy of its mail, for `ttl` (24 h) and across restarts.
//
// In memory: one entry per key seen within the ttl (the request's hash, and the answer once
// there is one), at most `max_entries` (1,000,000 by default); beyond that the oldest entries
// are evicted, even one still in progress, so a client that retries after a million newer
// requests may send twice. On disk: a journal with a line per answer, appended and
// fdatasync'd before complete() returns; rewritten without expired entries at open() and
// whenever it holds more than twice the lines it needs. A claim that was never completed is
// not on disk: after a crash it is gone, as is the request that held it.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/result.hpp"
#include "spool/file_descriptor.hpp"

namespace herald::api {

// 1 to 255 printable ASCII characters (space included).
bool is_valid_idempotency_key(std::string_view key);

// SHA-256 of `bytes` in lower-case hex: what claim() compares to tell a retry from another
// request under the same key.
std::string sha256_hex(std::string_view bytes);

class IdempotencyStore {
    struct Token {
        explicit Token() = default;
    };

  public:
    using Clock = std::chrono::system_clock;
    static constexpr std::size_t kMaxEntries = 1'000'000;

    // The stored HTTP answer: status and JSON body.
    struct Answer {
        unsigned status = 0;
        std::string body;
    };

    // Loads the journal (creating it, mode 0600, and its folder, 0700, if missing), drops
    // entries older than `ttl` and rewrites it compacted (temporary file, fsync, rename).
    // Lines that are not whole entries (a crash in the middle of a write) are skipped.
    static Result<std::unique_ptr<IdempotencyStore>> open(std::filesystem::path journal,
                                                          std::chrono::seconds ttl,
                                                          Clock::time_point now,
                                                          std::size_t max_entries = kMaxEntries);

    enum class Claim {
        fresh,        // first sight (or the earlier one expired or was abandoned): go ahead
        in_progress,  // the first request is still running: 409 for this one
        replay,       // answered before: send `answer` again
        mismatch,     // the key was used for another body: 422
    };
    struct Claimed {
        Claim claim = Claim::fresh;
        Answer answer;  // for replay
    };

    // scope: the API key's name, so that the keys of two clients never meet; key: the header,
    // already checked by is_valid_idempotency_key(); request_hash: sha256_hex() of the body.
    Claimed claim(std::string_view scope, std::string_view key, std::string_view request_hash,
                  Clock::time_point now);

    // The answer to keep (a 202, or a 4xx that a retry would get again) for a fresh claim;
    // in the journal and fdatasync'd before this returns, so that a crash after the client
    // saw its 202 cannot make a retry send again. An error when it could not be written (the
    // claim is then still in progress), or when there is no claim in progress for the key.
    Status complete(std::string_view scope, std::string_view key, Answer answer,
                    Clock::time_point now);

    // The request ended in a way a retry should redo (503, 429, a failed handler): forgets a
    // claim in progress. A completed answer stays.
    void abandon(std::string_view scope, std::string_view key);
    // The hash of the request under the key, in progress or answered; "" when none.
    std::string request_hash(std::string_view scope, std::string_view key) const;

    // Entries in memory, in progress or answered, expired ones not yet dropped included.
    std::size_t size() const;
    // For the caller's log and metrics: entries evicted by the max_entries limit so far, and
    // journal lines open() skipped as not whole (a crash mid-write, damage).
    std::uint64_t evicted() const;
    std::size_t skipped_lines() const { return skipped_lines_; }

    IdempotencyStore(Token, std::filesystem::path journal, std::chrono::seconds ttl,
                     std::size_t max_entries);

  private:
    struct Entry {
        std::string request_hash;
        Clock::time_point created;  // claimed, then answered: the ttl counts from the last
        bool answered = false;
        Answer answer;
        std::list<const std::string*>::iterator age;  // its place in by_age_
    };
    using Entries = std::unordered_map<std::string, Entry>;

    Status rewrite_journal();
    bool expired(const Entry& entry, Clock::time_point now) const;
    void insert(std::string id, Entry entry);
    void erase(Entries::iterator it);
    void drop_expired(Clock::time_point now);

    const std::filesystem::path journal_;
    const std::chrono::seconds ttl_;
    const std::size_t max_entries_;
    std::size_t skipped_lines_ = 0;

    // Held while writing the journal, so that claims never wait for a disk.
    std::mutex journal_mutex_;
    spool::FileDescriptor journal_fd_;
    std::size_t journal_lines_ = 0;
    bool unterminated_line_ = false;  // a failed append may have left part of a line

    mutable std::mutex mutex_;
    Entries entries_;  // by entry_id(scope, key)
    // Keys of entries_ (stable while the entry exists), oldest first: by claim, or by answer.
    std::list<const std::string*> by_age_;
    std::uint64_t evicted_ = 0;
};

}  // namespace herald::api
