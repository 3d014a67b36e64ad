#include "suppression/suppression_list.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <istream>
#include <limits>
#include <ostream>

#include "base/ascii_case.hpp"
#include "base/trimmed.hpp"

namespace herald::suppression {

namespace {

// PRAGMA user_version of the layout below; a file with a higher one is a newer Herald's.
constexpr int kSchemaVersion = 1;

// The primary key serves check(), add(), remove() and a list of one scope. The index serves
// the list of every scope in address order (the admin's paging, export): without it each page
// would sort the whole table.
constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS suppression ("
    " scope TEXT NOT NULL, address TEXT NOT NULL, reason TEXT NOT NULL, source TEXT NOT NULL,"
    " created INTEGER NOT NULL, PRIMARY KEY (scope, address)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS suppression_by_address ON suppression (address, scope);";

constexpr const char* kImportCacheSize = "PRAGMA cache_size = -262144";  // KiB: 256 MiB
constexpr const char* kDefaultCacheSize = "PRAGMA cache_size = -2000";   // SQLite's own

constexpr const char* kColumns = "SELECT address, scope, reason, source, created FROM suppression";

// RFC 5321 4.5.3.1.3: a path is at most 256 octets, angle brackets included.
constexpr std::size_t kMaxAddress = 254;
// RFC 1035 2.3.4.
constexpr std::size_t kMaxDomain = 253;
constexpr std::size_t kMaxLabel = 63;

// A statement goes back to its start and lets go of its values whatever happens to the step:
// one left half-stepped would keep a read transaction open, and with it an old snapshot of
// the file (the other process's changes unseen) and the WAL from being checkpointed.
class StatementUse {
  public:
    explicit StatementUse(sqlite3_stmt* statement) : statement_(statement) {}
    StatementUse(const StatementUse&) = delete;
    StatementUse& operator=(const StatementUse&) = delete;
    ~StatementUse() {
        sqlite3_reset(statement_);
        sqlite3_clear_bindings(statement_);
    }

  private:
    sqlite3_stmt* statement_;
};

// Not copied (SQLITE_STATIC): every value bound here is the caller's and outlives the steps
// that read it, each statement being stepped in the scope that bound it, before its reset.
// A copy was three allocations a lookup, two lookups a relayed message.
int bind_value(sqlite3_stmt* statement, int index, std::string_view text) {
    // A null pointer would bind SQL NULL, which the NOT NULL columns refuse: "" is a value.
    return sqlite3_bind_text(statement, index, text.empty() ? "" : text.data(),
                             static_cast<int>(text.size()), SQLITE_STATIC);
}

int bind_value(sqlite3_stmt* statement, int index, std::int64_t number) {
    return sqlite3_bind_int64(statement, index, number);
}

template <typename... Values>
bool bind_all(sqlite3_stmt* statement, const Values&... values) {
    int index = 0;
    return ((bind_value(statement, ++index, values) == SQLITE_OK) && ...);
}

std::string column_text(sqlite3_stmt* statement, int column) {
    const auto* text = sqlite3_column_text(statement, column);
    if (text == nullptr) return {};
    return std::string(reinterpret_cast<const char*>(text),
                       static_cast<std::size_t>(sqlite3_column_bytes(statement, column)));
}

// A row of kColumns.
Entry entry_of_row(sqlite3_stmt* statement) {
    return Entry{.address = column_text(statement, 0),
                 .scope = column_text(statement, 1),
                 .reason = column_text(statement, 2),
                 .source = column_text(statement, 3),
                 .created = sqlite3_column_int64(statement, 4)};
}

bool is_blank_or_control(unsigned char c) {
    return c <= 0x20 || c == 0x7f;
}

std::string without_controls(std::string_view text) {
    std::string out(text);
    std::replace_if(
        out.begin(), out.end(),
        [](char c) { return c != ' ' && is_blank_or_control(static_cast<unsigned char>(c)); }, ' ');
    return out;
}

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::int64_t sql_limit(std::size_t limit) {
    return static_cast<std::int64_t>(
        std::min<std::size_t>(limit, std::numeric_limits<std::int64_t>::max()));
}

// The fields of one CSV line, RFC 4180 2.5-2.7: a field may be quoted, with a quote inside
// doubled. Blanks around a field are dropped, as people type "a@b.example, example.com".
// nullopt for a quote left open or text after a closing quote; a field spanning lines is
// one of those (export_csv never writes one: reasons hold no line ends).
std::optional<std::vector<std::string>> csv_fields(std::string_view line) {
    std::vector<std::string> fields;
    std::size_t i = 0;
    const auto skip_blanks = [&] {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    };
    while (true) {
        skip_blanks();
        std::string field;
        if (i < line.size() && line[i] == '"') {
            for (++i;; ++i) {
                if (i >= line.size()) return std::nullopt;
                if (line[i] != '"') {
                    field += line[i];
                } else if (i + 1 < line.size() && line[i + 1] == '"') {
                    field += '"';
                    ++i;
                } else {
                    ++i;
                    break;
                }
            }
            skip_blanks();
            if (i < line.size() && line[i] != ',') return std::nullopt;
        } else {
            const auto comma = std::min(line.find(',', i), line.size());
            field = std::string(trimmed(line.substr(i, comma - i), " \t"));
            i = comma;
        }
        fields.push_back(std::move(field));
        if (i >= line.size()) return fields;
        ++i;  // the comma
    }
}

// RFC 4180 2.6-2.7, and a field that import() would read otherwise: one with blanks at
// either end (they would be dropped), or an address starting with '#' (a comment line).
void write_csv_field(std::ostream& out, std::string_view field) {
    const bool quoted =
        field.find_first_of(",\"\r\n") != std::string_view::npos ||
        (!field.empty() && (field.front() == ' ' || field.back() == ' ' || field.front() == '\t' ||
                            field.back() == '\t' || field.front() == '#'));
    if (!quoted) {
        out << field;
        return;
    }
    out << '"';
    for (char c : field) {
        if (c == '"') out << '"';
        out << c;
    }
    out << '"';
}

std::optional<std::int64_t> parse_created(std::string_view text) {
    std::int64_t value = 0;
    const auto* end = text.data() + text.size();
    auto [stop, error] = std::from_chars(text.data(), end, value);
    if (error != std::errc() || stop != end || value < 0) return std::nullopt;
    return value;
}

}  // namespace

Result<std::string> normalized_address(std::string_view address) {
    const auto quoted = "'" + std::string(address) + "' is not an address";
    if (address.size() > kMaxAddress) {
        return Error{quoted + ": longer than " + std::to_string(kMaxAddress) + " octets"};
    }
    if (std::any_of(address.begin(), address.end(),
                    [](char c) { return is_blank_or_control(static_cast<unsigned char>(c)); })) {
        return Error{quoted + ": it holds a blank or a control character"};
    }
    const auto at = address.find('@');
    if (at == std::string_view::npos || address.find('@', at + 1) != std::string_view::npos) {
        return Error{quoted + ": it needs exactly one '@'"};
    }
    if (at == 0) return Error{quoted + ": nothing before the '@'"};
    if (at + 1 == address.size()) return Error{quoted + ": no domain after the '@'"};
    return ascii_lowercase(address);
}

Result<std::string> normalized_scope(std::string_view scope) {
    if (scope == "*") return std::string("*");
    if (const auto colon = scope.find(':'); colon != std::string_view::npos) {
        auto domain = normalized_scope(scope.substr(0, colon));
        if (!domain || *domain == "*") {
            return Error{"'" + std::string(scope) + "': before ':' comes a sender domain"};
        }
        auto list = normalized_scope(scope.substr(colon + 1));
        if (list && list->find(':') != std::string::npos) list = Error{"one ':' at most"};
        if (!list || *list == "*") {
            return Error{"'" + std::string(scope) + "': after ':' comes a list id (" +
                         (list ? "not '*'" : list.error()) + ")"};
        }
        return *domain + ":" + *list;
    }
    const auto quoted = "'" + std::string(scope) + "' is not a domain";
    if (scope.empty()) return Error{"an empty domain is not one ('*' means every sender)"};
    if (scope.size() > kMaxDomain) {
        return Error{quoted + ": longer than " + std::to_string(kMaxDomain) + " octets"};
    }
    std::size_t label = 0;
    for (std::size_t i = 0; i <= scope.size(); ++i) {
        if (i == scope.size() || scope[i] == '.') {
            if (label == 0) return Error{quoted + ": an empty label"};
            if (label > kMaxLabel) return Error{quoted + ": a label longer than 63 octets"};
            label = 0;
            continue;
        }
        const auto c = static_cast<unsigned char>(ascii_lower(scope[i]));
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c >= 0x80)) {
            return Error{quoted + ": it holds '" + std::string(1, scope[i]) + "'"};
        }
        ++label;
    }
    return ascii_lowercase(scope);
}

std::optional<std::string> list_scope(std::string_view sender_domain, std::string_view list_id) {
    if (sender_domain.empty() || list_id.empty()) return std::nullopt;
    auto scope = normalized_scope(std::string(sender_domain) + ":" + std::string(list_id));
    if (!scope) return std::nullopt;
    return std::move(*scope);
}

void SuppressionList::CloseDatabase::operator()(sqlite3* db) const {
    sqlite3_close_v2(db);
}

void SuppressionList::FinalizeStatement::operator()(sqlite3_stmt* statement) const {
    sqlite3_finalize(statement);
}

SuppressionList::SuppressionList(std::string path, Database db)
    : path_(std::move(path)), db_(std::move(db)) {}

SuppressionList::~SuppressionList() = default;

Result<std::unique_ptr<SuppressionList>> SuppressionList::open(
    const std::filesystem::path& database) {
    sqlite3* raw = nullptr;
    // FULLMUTEX: the connection is shared by threads (our own mutex_ guards the statements).
    const int opened = sqlite3_open_v2(
        database.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
        nullptr);
    Database db(raw);  // closed on every path, even when the open failed
    if (opened != SQLITE_OK) {
        return Error{"suppression database " + database.string() + ": " +
                     (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(opened))};
    }
    sqlite3_extended_result_codes(raw, 1);
    sqlite3_busy_timeout(raw, 5000);  // a writer waits this long for another process's write
    std::unique_ptr<SuppressionList> list(new SuppressionList(database.string(), std::move(db)));

    // The first statement that reads the file: where a file that is not a database says so.
    auto journal = list->prepare("PRAGMA journal_mode = WAL");
    if (!journal) return Error{journal.error()};
    if (sqlite3_step(journal->get()) != SQLITE_ROW) return list->failure("setting WAL mode");
    const auto mode = column_text(journal->get(), 0);
    journal->reset();
    if (!equals_ignoring_case(mode, "wal")) {
        return Error{"suppression database " + list->path_ +
                     ": cannot be put in WAL mode (its journal mode stays " + mode + ")"};
    }
    // After a checkpoint the WAL is cut back to 4 MiB: an import of a million addresses
    // (some 100 MiB of pages) leaves no file that size behind.
    if (auto st = list->exec("PRAGMA synchronous = NORMAL; PRAGMA journal_size_limit = 4194304");
        !st) {
        return Error{st.error()};
    }

    auto version = list->prepare("PRAGMA user_version");
    if (!version) return Error{version.error()};
    if (sqlite3_step(version->get()) != SQLITE_ROW) return list->failure("reading its version");
    const auto found = sqlite3_column_int(version->get(), 0);
    version->reset();
    if (found > kSchemaVersion) {
        return Error{"suppression database " + list->path_ + ": schema version " +
                     std::to_string(found) + " is newer than this Herald's (" +
                     std::to_string(kSchemaVersion) + ")"};
    }
    if (found < kSchemaVersion) {
        // IMMEDIATE: two processes creating the file at once take turns.
        if (auto st = list->exec("BEGIN IMMEDIATE"); !st) return Error{st.error()};
        const auto schema =
            std::string(kSchema) + "PRAGMA user_version = " + std::to_string(kSchemaVersion);
        if (auto st = list->exec(schema.c_str()); !st) {
            (void)list->exec("ROLLBACK");
            return Error{st.error()};
        }
        if (auto st = list->exec("COMMIT"); !st) {
            (void)list->exec("ROLLBACK");
            return Error{st.error()};
        }
    }
    if (auto st = list->prepare_statements(); !st) return Error{st.error()};
    // The reads above have made SQLite create and map the WAL index.
    list->answers_ = AnswerCache(
        CommitWatch::open(std::string(sqlite3_db_filename(list->db_.get(), "main")) + "-shm"));
    return list;
}

Status SuppressionList::prepare_statements() {
    // The list's entry, then the domain's, then the global one, in one statement: one read
    // transaction (and its file locks) a check, not three. ?3 is "" without a list: no
    // scope is empty. Three key lookups whose rows come in that order (SQLite runs the parts
    // of a UNION ALL one after the other): an IN list or an ORDER BY would build a temporary
    // b-tree, with its own page cache, for every check.
    const std::string by_key = std::string(kColumns) + " WHERE scope = ";
    auto check =
        prepare((by_key + "?3 AND address = ?2 UNION ALL " + by_key +
                 "?1 AND address = ?2 UNION ALL " + by_key + "'*' AND address = ?2 LIMIT 1")
                    .c_str());
    if (!check) return Error{check.error()};
    auto add = prepare(
        "INSERT OR IGNORE INTO suppression (scope, address, reason, source, created)"
        " VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!add) return Error{add.error()};
    auto remove = prepare("DELETE FROM suppression WHERE scope = ?1 AND address = ?2");
    if (!remove) return Error{remove.error()};
    check_ = std::move(*check);
    add_ = std::move(*add);
    remove_ = std::move(*remove);
    return ok_status();
}

Result<SuppressionList::Statement> SuppressionList::prepare(const char* sql) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db_.get(), sql, -1, &raw, nullptr) != SQLITE_OK) {
        sqlite3_finalize(raw);
        return failure("preparing a statement");
    }
    return Statement(raw);
}

Status SuppressionList::exec(const char* sql) {
    if (sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
        return failure(sql);
    }
    return ok_status();
}

Error SuppressionList::failure(std::string_view what) const {
    return Error{"suppression database " + path_ + ": " + std::string(what) + ": " +
                 sqlite3_errmsg(db_.get())};
}

Result<std::optional<Entry>> SuppressionList::find(std::string_view address, std::string_view scope,
                                                   std::string_view list) {
    StatementUse use(check_.get());
    if (!bind_all(check_.get(), scope, address, list)) return failure("looking up an address");
    switch (sqlite3_step(check_.get())) {
        case SQLITE_ROW:
            return std::optional<Entry>(entry_of_row(check_.get()));
        case SQLITE_DONE:
            return std::optional<Entry>();
        default:
            return failure("looking up an address");
    }
}

Result<bool> SuppressionList::insert(const Entry& entry) {
    StatementUse use(add_.get());
    if (!bind_all(add_.get(), entry.scope, entry.address, entry.reason, entry.source,
                  entry.created) ||
        sqlite3_step(add_.get()) != SQLITE_DONE) {
        return failure("adding " + entry.address);
    }
    return sqlite3_changes(db_.get()) > 0;
}

Result<std::optional<Entry>> SuppressionList::check(std::string_view address,
                                                    std::string_view sender_domain,
                                                    std::string_view list_id) {
    const auto folded = ascii_lowercase(address);
    const std::string scope = sender_domain.empty() ? "*" : ascii_lowercase(sender_domain);
    const std::string list = scope == "*" ? "" : list_scope(scope, list_id).value_or("");
    // Neither a scope nor a list id holds a NUL: the address, last, cannot make two keys one.
    std::string key = scope + '\0' + list + '\0' + folded;
    std::lock_guard lock(mutex_);
    if (const auto* kept = answers_.find(key)) return *kept;
    auto found = find(folded, scope, list);
    if (found) answers_.keep(std::move(key), *found);
    return found;
}

Result<bool> SuppressionList::store(Entry& entry) {
    auto address = normalized_address(entry.address);
    if (!address) return Error{address.error()};
    auto scope = normalized_scope(entry.scope);
    if (!scope) return Error{scope.error()};
    entry.address = std::move(*address);
    entry.scope = std::move(*scope);
    entry.reason = without_controls(entry.reason);
    if (entry.created == 0) entry.created = unix_now();
    std::lock_guard lock(mutex_);
    return insert(entry);
}

Result<bool> SuppressionList::erase(std::string& address, std::string& scope) {
    auto folded = normalized_address(address);
    if (!folded) return Error{folded.error()};
    auto folded_scope = normalized_scope(scope);
    if (!folded_scope) return Error{folded_scope.error()};
    address = std::move(*folded);
    scope = std::move(*folded_scope);
    std::lock_guard lock(mutex_);
    StatementUse use(remove_.get());
    if (!bind_all(remove_.get(), scope, address) || sqlite3_step(remove_.get()) != SQLITE_DONE) {
        return failure("removing " + address);
    }
    return sqlite3_changes(db_.get()) > 0;
}

Result<bool> SuppressionList::add(Entry entry) {
    auto added = store(entry);
    if (added && *added && observer_) observer_(Change{.removed = false, .entry = entry});
    return added;
}

Result<bool> SuppressionList::remove(std::string_view address, std::string_view scope) {
    Entry entry{.address = std::string(address), .scope = std::string(scope)};
    auto removed = erase(entry.address, entry.scope);
    if (removed && *removed && observer_) observer_(Change{.removed = true, .entry = entry});
    return removed;
}

void SuppressionList::set_observer(std::function<void(const Change&)> observer) {
    observer_ = std::move(observer);
}

Result<bool> SuppressionList::take(const Change& change) {
    Entry entry = change.entry;
    if (change.removed) return erase(entry.address, entry.scope);
    return store(entry);
}

Result<std::vector<Entry>> SuppressionList::list(std::string_view scope,
                                                 std::string_view after_address,
                                                 std::size_t limit) {
    std::vector<Entry> entries;
    if (limit == 0) return entries;
    std::string folded_scope;
    if (!scope.empty()) {
        auto normalized = normalized_scope(scope);
        if (!normalized) return Error{normalized.error()};
        folded_scope = std::move(*normalized);
    }
    const auto after = ascii_lowercase(after_address);
    std::lock_guard lock(mutex_);
    const auto read_rows = [&](sqlite3_stmt* statement) -> Status {
        int step = SQLITE_ROW;
        while ((step = sqlite3_step(statement)) == SQLITE_ROW) {
            entries.push_back(entry_of_row(statement));
        }
        if (step != SQLITE_DONE) return failure("listing");
        return ok_status();
    };
    if (!folded_scope.empty()) {
        auto page = prepare(
            (std::string(kColumns) + " WHERE scope = ?1 AND address > ?2 ORDER BY address LIMIT ?3")
                .c_str());
        if (!page) return Error{page.error()};
        if (!bind_all(page->get(), folded_scope, after, sql_limit(limit))) {
            return failure("listing");
        }
        if (auto st = read_rows(page->get()); !st) return Error{st.error()};
        return entries;
    }
    auto page = prepare(
        (std::string(kColumns) + " WHERE address > ?1 ORDER BY address, scope LIMIT ?2").c_str());
    if (!page) return Error{page.error()};
    if (!bind_all(page->get(), after, sql_limit(limit))) return failure("listing");
    if (auto st = read_rows(page->get()); !st) return Error{st.error()};
    if (entries.size() < limit) return entries;
    // The page is full: the rest of its last address's scopes come with it, since the next
    // page starts after that address.
    const Entry last = entries.back();
    auto rest = prepare(
        (std::string(kColumns) + " WHERE address = ?1 AND scope > ?2 ORDER BY scope").c_str());
    if (!rest) return Error{rest.error()};
    if (!bind_all(rest->get(), last.address, last.scope)) return failure("listing");
    if (auto st = read_rows(rest->get()); !st) return Error{st.error()};
    return entries;
}

Result<SuppressionList::ImportCount> SuppressionList::import(std::istream& in,
                                                             std::string_view default_scope,
                                                             std::string_view source,
                                                             std::int64_t now) {
    auto fallback_scope = normalized_scope(default_scope);
    if (!fallback_scope) return Error{fallback_scope.error()};
    ImportCount count;
    std::lock_guard lock(mutex_);
    // One transaction: a million lines are one commit (one fsync, not a million), and a
    // failure half-way leaves the list as it was. Other processes go on reading meanwhile;
    // a writer among them waits (busy_timeout) and may give up on an import that is long.
    if (auto st = exec("BEGIN IMMEDIATE"); !st) return Error{st.error()};
    // Addresses come in no order, so each insert lands on any page of the two b-trees: with
    // SQLite's default 2 MiB cache, a million of them spill pages to the WAL and read them
    // back, three times slower. Pages are allocated as used, and given back after.
    (void)exec(kImportCacheSize);
    const auto abandon = [this](Error error) -> Result<ImportCount> {
        (void)exec("ROLLBACK");
        (void)exec(kDefaultCacheSize);
        return error;
    };
    std::string line;
    bool first = true;
    Entry entry;
    entry.source = std::string(source);
    while (std::getline(in, line)) {
        std::string_view text = line;
        if (first && text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a UTF-8 BOM
        text = trimmed(text);
        if (text.empty() || text.front() == '#') continue;
        auto fields = csv_fields(text);
        const bool header =
            first && fields && !fields->empty() && equals_ignoring_case(fields->front(), "address");
        first = false;
        if (header) continue;
        if (!fields || fields->size() > 4) {
            ++count.invalid;
            continue;
        }
        auto address = normalized_address((*fields)[0]);
        auto scope = fields->size() > 1 && !(*fields)[1].empty() ? normalized_scope((*fields)[1])
                                                                 : *fallback_scope;
        auto created = fields->size() > 3 && !(*fields)[3].empty() ? parse_created((*fields)[3])
                                                                   : std::optional(now);
        if (!address || !scope || !created) {
            ++count.invalid;
            continue;
        }
        entry.address = std::move(*address);
        entry.scope = std::move(*scope);
        entry.reason = fields->size() > 2 ? without_controls((*fields)[2]) : std::string();
        entry.created = *created;
        auto added = insert(entry);
        if (!added) return abandon(Error{added.error()});
        ++(*added ? count.added : count.existing);
    }
    if (in.bad()) return abandon(Error{"suppression import: reading the input failed"});
    if (auto st = exec("COMMIT"); !st) return abandon(Error{st.error()});
    (void)exec(kDefaultCacheSize);
    return count;
}

Status SuppressionList::export_csv(std::ostream& out, std::string_view scope) {
    std::string folded_scope;
    if (!scope.empty()) {
        auto normalized = normalized_scope(scope);
        if (!normalized) return Error{normalized.error()};
        folded_scope = std::move(*normalized);
    }
    std::lock_guard lock(mutex_);
    auto rows =
        folded_scope.empty()
            ? prepare((std::string(kColumns) + " ORDER BY address, scope").c_str())
            : prepare((std::string(kColumns) + " WHERE scope = ?1 ORDER BY address").c_str());
    if (!rows) return Error{rows.error()};
    if (!folded_scope.empty() && !bind_all(rows->get(), folded_scope)) return failure("exporting");
    int step = SQLITE_ROW;
    while ((step = sqlite3_step(rows->get())) == SQLITE_ROW) {
        const auto entry = entry_of_row(rows->get());
        write_csv_field(out, entry.address);
        out << ',';
        write_csv_field(out, entry.scope);
        out << ',';
        write_csv_field(out, entry.reason);
        out << ',' << entry.created << '\n';
    }
    if (step != SQLITE_DONE) return failure("exporting");
    out.flush();
    if (!out) return Error{"suppression export: writing the output failed"};
    return ok_status();
}

Result<std::size_t> SuppressionList::count() {
    std::lock_guard lock(mutex_);
    auto rows = prepare("SELECT count(*) FROM suppression");
    if (!rows) return Error{rows.error()};
    if (sqlite3_step(rows->get()) != SQLITE_ROW) return failure("counting");
    return static_cast<std::size_t>(sqlite3_column_int64(rows->get(), 0));
}

}  // namespace herald::suppression
