#include "api/idempotency_store.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <fstream>
#include <optional>
#include <vector>

#include "spool/record_value.hpp"

namespace herald::api {

namespace fs = std::filesystem;

namespace {

// The journal, a line per answer:
//   v1 TAB created TAB scope TAB key TAB request-hash TAB status TAB body TAB check LF
// Text fields are escaped as spool records are (record_value.hpp): a TAB or LF in a body or
// key cannot end a field or forge a line. `check` is the FNV-1a hash of everything before it,
// so that a line a crash cut short, or filled with zeros, is not mistaken for an answer.
constexpr std::string_view kVersion = "v1";
constexpr std::size_t kJournalFields = 8;

std::string hex64(std::uint64_t value) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out(16, '0');
    for (int i = 15; i >= 0; --i, value >>= 4) out[i] = kHex[value & 15];
    return out;
}

std::string line_check(std::string_view text) {
    std::uint64_t hash = 14695981039346656037ull;
    for (char c : text) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 1099511628211ull;
    }
    return hex64(hash);
}

std::string journal_line(std::string_view scope, std::string_view key, std::string_view hash,
                         IdempotencyStore::Clock::time_point created,
                         const IdempotencyStore::Answer& answer) {
    std::string line(kVersion);
    for (const std::string& field :
         {spool::encode_record_time(created), spool::escape_record_value(scope),
          spool::escape_record_value(key), spool::escape_record_value(hash),
          std::to_string(answer.status), spool::escape_record_value(answer.body)}) {
        line += '\t';
        line += field;
    }
    const std::string check = line_check(line);
    return line + '\t' + check + '\n';
}

struct JournalEntry {
    IdempotencyStore::Clock::time_point created;
    std::string scope;
    std::string key;
    std::string request_hash;
    IdempotencyStore::Answer answer;
};

// nullopt for anything journal_line() did not write whole (without its LF).
std::optional<JournalEntry> parse_journal_line(std::string_view line) {
    const std::size_t last_tab = line.rfind('\t');
    if (last_tab == std::string_view::npos ||
        line.substr(last_tab + 1) != line_check(line.substr(0, last_tab))) {
        return std::nullopt;
    }
    std::vector<std::string_view> fields;
    for (std::size_t start = 0;;) {
        const std::size_t tab = line.find('\t', start);
        fields.push_back(line.substr(start, tab == std::string_view::npos ? tab : tab - start));
        if (tab == std::string_view::npos || fields.size() > kJournalFields) break;
        start = tab + 1;
    }
    if (fields.size() != kJournalFields || fields[0] != kVersion) return std::nullopt;
    auto created = spool::parse_record_time(fields[1]);
    auto scope = spool::unescape_record_value(fields[2]);
    auto key = spool::unescape_record_value(fields[3]);
    auto hash = spool::unescape_record_value(fields[4]);
    auto status = spool::parse_record_integer<unsigned>(fields[5]);
    auto body = spool::unescape_record_value(fields[6]);
    if (!created || !scope || !key || !hash || !status || !body) return std::nullopt;
    if (*status < 100 || *status > 599) return std::nullopt;
    return JournalEntry{*created,
                        std::move(*scope),
                        std::move(*key),
                        std::move(*hash),
                        {*status, std::move(*body)}};
}

// Length-prefixed, so that scope "ab" with key "c" and scope "a" with key "bc" stay apart.
std::string entry_id(std::string_view scope, std::string_view key) {
    std::string id = std::to_string(scope.size());
    id += ':';
    id += scope;
    id += key;
    return id;
}

std::pair<std::string_view, std::string_view> split_id(std::string_view id) {
    const std::size_t colon = id.find(':');
    const std::size_t size =
        spool::parse_record_integer<std::size_t>(id.substr(0, colon)).value_or(0);
    const std::string_view rest = id.substr(colon + 1);
    return {rest.substr(0, size), rest.substr(size)};
}

Status fail(std::string_view operation, const fs::path& path, int err) {
    return Error{spool::describe_errno(operation, path, err)};
}

// A rename or a new file is durable once its directory is.
int sync_directory(const fs::path& folder) {
    const auto fd = spool::FileDescriptor::open(folder, O_RDONLY | O_DIRECTORY);
    if (!fd) return errno;
    return fd.full_sync();
}

}  // namespace

bool is_valid_idempotency_key(std::string_view key) {
    return !key.empty() && key.size() <= 255 &&
           std::all_of(key.begin(), key.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

std::string sha256_hex(std::string_view bytes) {
    // Fetched once: an implicit fetch per call is what makes OpenSSL 3 slow.
    static const EVP_MD* const md = [] {
        const EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
        return fetched ? fetched : EVP_sha256();
    }();
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, md, nullptr) != 1) {
        return {};
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * length);
    for (unsigned int i = 0; i < length; ++i) {
        out += kHex[digest[i] >> 4];
        out += kHex[digest[i] & 15];
    }
    return out;
}

IdempotencyStore::IdempotencyStore(Token, fs::path journal, std::chrono::seconds ttl,
                                   std::size_t max_entries)
    : journal_(std::move(journal)),
      ttl_(ttl),
      max_entries_(std::max<std::size_t>(max_entries, 1)) {}

Result<std::unique_ptr<IdempotencyStore>> IdempotencyStore::open(fs::path journal,
                                                                 std::chrono::seconds ttl,
                                                                 Clock::time_point now,
                                                                 std::size_t max_entries) {
    auto store = std::make_unique<IdempotencyStore>(Token{}, std::move(journal), ttl, max_entries);
    const fs::path& path = store->journal_;
    const fs::path folder = path.has_parent_path() ? path.parent_path() : fs::path(".");
    std::error_code ec;
    if (!fs::exists(folder, ec)) {
        // Keys and answers are the clients' business: only our user reads them.
        if (!fs::create_directories(folder, ec) && ec) {
            return Error{"cannot create " + folder.string() + ": " + ec.message()};
        }
        fs::permissions(folder, fs::perms::owner_all, ec);
        if (ec) return Error{"cannot set the mode of " + folder.string() + ": " + ec.message()};
    }

    std::ifstream in(path, std::ios::binary);
    if (!in && fs::exists(path, ec)) return Error{"cannot read " + path.string()};
    std::string line;
    while (std::getline(in, line)) {
        // A last line without its LF is a write a crash interrupted.
        if (in.eof()) {
            ++store->skipped_lines_;
            break;
        }
        auto entry = parse_journal_line(line);
        if (!entry) ++store->skipped_lines_;
        if (!entry || entry->created + ttl <= now) continue;
        Entry kept{
            std::move(entry->request_hash), entry->created, true, std::move(entry->answer), {}};
        std::string id = entry_id(entry->scope, entry->key);
        // An answer written again later (after an abandon and a new claim) replaces it.
        if (auto it = store->entries_.find(id); it != store->entries_.end()) store->erase(it);
        store->insert(std::move(id), std::move(kept));
    }
    if (in.bad()) return Error{"cannot read " + path.string()};
    in.close();
    // The journal is in order of writing; a clock set back can make that another order.
    store->by_age_.sort([&](const std::string* a, const std::string* b) {
        return store->entries_.find(*a)->second.created < store->entries_.find(*b)->second.created;
    });
    while (store->entries_.size() > store->max_entries_) {
        store->erase(store->entries_.find(*store->by_age_.front()));
        ++store->evicted_;
    }
    if (auto written = store->rewrite_journal(); !written) return Error{written.error()};
    return store;
}

Status IdempotencyStore::rewrite_journal() {
    std::string text;
    std::size_t lines = 0;
    {
        std::lock_guard lock(mutex_);
        for (const std::string* id : by_age_) {
            const Entry& entry = entries_.find(*id)->second;
            if (!entry.answered) continue;
            const auto [scope, key] = split_id(*id);
            text += journal_line(scope, key, entry.request_hash, entry.created, entry.answer);
            ++lines;
        }
    }
    const fs::path temporary = journal_.string() + ".new";
    ::unlink(temporary.c_str());  // O_TRUNC would keep the mode of a stale one
    auto fd = spool::FileDescriptor::open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (!fd) return fail("open", temporary, errno);
    const std::string_view pieces[] = {text};
    if (int err = fd.write_all(pieces); err != 0) return fail("write", temporary, err);
    if (int err = fd.data_sync(); err != 0) return fail("fdatasync", temporary, err);
    fd.reset();
    if (::rename(temporary.c_str(), journal_.c_str()) != 0)
        return fail("rename to", journal_, errno);
    // Appends to the file just replaced would be lost.
    journal_fd_.reset();
    unterminated_line_ = false;
    const fs::path folder = journal_.has_parent_path() ? journal_.parent_path() : fs::path(".");
    if (int err = sync_directory(folder); err != 0) return fail("fsync", folder, err);
    auto appender = spool::FileDescriptor::open(journal_, O_WRONLY | O_APPEND);
    if (!appender) return fail("open", journal_, errno);
    journal_fd_ = std::move(appender);
    journal_lines_ = lines;
    return ok_status();
}

bool IdempotencyStore::expired(const Entry& entry, Clock::time_point now) const {
    return entry.created + ttl_ <= now;
}

void IdempotencyStore::insert(std::string id, Entry entry) {
    // Callers erase an entry of the same id first: its place in by_age_ would dangle.
    auto [it, _] = entries_.emplace(std::move(id), std::move(entry));
    it->second.age = by_age_.insert(by_age_.end(), &it->first);
    while (entries_.size() > max_entries_) {
        erase(entries_.find(*by_age_.front()));
        ++evicted_;
    }
}

void IdempotencyStore::erase(Entries::iterator it) {
    by_age_.erase(it->second.age);
    entries_.erase(it);
}

void IdempotencyStore::drop_expired(Clock::time_point now) {
    while (!by_age_.empty()) {
        const auto it = entries_.find(*by_age_.front());
        if (!expired(it->second, now)) return;
        erase(it);
    }
}

IdempotencyStore::Claimed IdempotencyStore::claim(std::string_view scope, std::string_view key,
                                                  std::string_view request_hash,
                                                  Clock::time_point now) {
    std::lock_guard lock(mutex_);
    drop_expired(now);
    std::string id = entry_id(scope, key);
    if (auto it = entries_.find(id); it != entries_.end()) {
        // Out of age order only when the clock went back; then it is gone all the same.
        if (expired(it->second, now)) {
            erase(it);
        } else if (it->second.request_hash != request_hash) {
            return {Claim::mismatch, {}};
        } else if (!it->second.answered) {
            return {Claim::in_progress, {}};
        } else {
            return {Claim::replay, it->second.answer};
        }
    }
    insert(std::move(id), Entry{std::string(request_hash), now, false, {}, {}});
    return {Claim::fresh, {}};
}

Status IdempotencyStore::complete(std::string_view scope, std::string_view key, Answer answer,
                                  Clock::time_point now) {
    const std::string id = entry_id(scope, key);
    // One writer at a time; claims only wait for the short critical sections around it.
    std::lock_guard journal_lock(journal_mutex_);
    std::string line;
    std::string request_hash;
    {
        std::lock_guard lock(mutex_);
        const auto it = entries_.find(id);
        if (it == entries_.end() || it->second.answered) {
            return Error{"no request in progress under this idempotency key"};
        }
        request_hash = it->second.request_hash;
        line = journal_line(scope, key, request_hash, now, answer);
    }
    if (!journal_fd_) journal_fd_ = spool::FileDescriptor::open(journal_, O_WRONLY | O_APPEND);
    if (!journal_fd_) return fail("open", journal_, errno);
    struct stat before {};
    if (::fstat(journal_fd_.get(), &before) != 0) return fail("fstat", journal_, errno);
    // After a failed write that could not be cut off, an LF ends the stray piece: it is then
    // a garbage line of its own instead of spoiling this one.
    const std::string_view pieces[] = {unterminated_line_ ? "\n" : "", line};
    int err = journal_fd_.write_all(pieces);
    if (err == 0) err = journal_fd_.data_sync();
    if (err != 0) {
        if (::ftruncate(journal_fd_.get(), before.st_size) != 0) unterminated_line_ = true;
        return fail("append to", journal_, err);
    }
    unterminated_line_ = false;
    ++journal_lines_;
    {
        std::lock_guard lock(mutex_);
        const auto it = entries_.find(id);
        if (it != entries_.end() && !it->second.answered &&
            it->second.request_hash == request_hash) {
            Entry& entry = it->second;
            // The ttl counts from the answer: that is what a client's retries are timed by.
            entry.answered = true;
            entry.answer = std::move(answer);
            entry.created = now;
            by_age_.splice(by_age_.end(), by_age_, entry.age);
        }
    }
    // Every answer is one line; once most lines are of expired or replaced answers, the
    // journal is rewritten. A failed rewrite leaves the appended journal, which is still whole.
    std::size_t live = 0;
    {
        std::lock_guard lock(mutex_);
        live = entries_.size();
    }
    if (journal_lines_ > 2 * live + 1024) (void)rewrite_journal();
    return ok_status();
}

void IdempotencyStore::abandon(std::string_view scope, std::string_view key) {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(entry_id(scope, key));
    if (it != entries_.end() && !it->second.answered) erase(it);
}

std::string IdempotencyStore::request_hash(std::string_view scope, std::string_view key) const {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(entry_id(scope, key));
    return it == entries_.end() ? std::string() : it->second.request_hash;
}

std::size_t IdempotencyStore::size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

std::uint64_t IdempotencyStore::evicted() const {
    std::lock_guard lock(mutex_);
    return evicted_;
}

}  // namespace herald::api
