#pragma once
// The suppression list (docs/events.md, "Suppression"): the addresses Herald must not mail,
// each for one sender domain, one mailing list of a sender domain ("brand.test:news.brand.test",
// the list's List-Id after the colon), or every sender ("*"). It lives in one SQLite file
// (`[suppression] database`) shared by the server, which checks every recipient against it,
// and by `herald suppress`, which edits it while the server runs: each check reads the file as
// it is, so a change made by another process is seen by the next check, with no reload (an
// answer is reused only while no commit has reached the file: answer_cache.hpp).
//
// What stays on disk: every entry (a million is an ordinary size; only a page of a list is
// ever in memory). What is in memory: the connection, three prepared statements and the
// recent checks' answers.
//
// The file is in WAL mode, so the server's checks never wait for a writer, with
// synchronous=NORMAL: a change survives a crash of Herald, and a power loss may undo the last
// changes (a suppression is re-added by the next bounce; fsync per entry would make an import
// of a million addresses take hours). A writer that finds the file locked by another one waits
// up to 5 s.
//
// Addresses are stored with their ASCII letters in lower case. RFC 5321 2.4 lets a local part
// be case-sensitive, but mailbox providers treat it as case-insensitive: JOHN@ and john@ are
// one mailbox. A suppression must not be dodged by writing the address in another case, so
// every address is folded before it is stored or looked up; over-suppressing a mailbox whose
// host really tells the cases apart is the safe side. Sender domains are folded too
// (RFC 1035 2.3.3). Non-ASCII bytes (SMTPUTF8 addresses) are kept as they are.
//
// Thread-safe: it is called from the event loop and from the blocking pool's threads.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "suppression/answer_cache.hpp"
#include "suppression/entry.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace herald::suppression {

// The address as stored: lower-cased; an Error saying what is wrong when it is not an address
// the list takes: exactly one '@', a local part and a domain, no blank or control character,
// at most 254 octets (RFC 5321 4.5.3.1.3, the longest path less its angle brackets).
Result<std::string> normalized_address(std::string_view address);

// The scope as stored: "*", or a sender domain lower-cased (letters, digits, '-', '_', '.' and
// UTF-8 bytes; no empty label; at most 253 octets), optionally followed by ':' and a list id
// of the same form; an Error when it is none of these.
Result<std::string> normalized_scope(std::string_view scope);

// The scope of a mailing list of a sender domain: "brand.test:news.brand.test"; nullopt when
// the list id cannot be one (a List-Id of other characters: its entries are the domain's).
std::optional<std::string> list_scope(std::string_view sender_domain, std::string_view list_id);

class SuppressionList {
  public:
    // Creates the file and its table when missing; an Error (never a crash) for a file that
    // is not such a database, or that a newer Herald wrote.
    static Result<std::unique_ptr<SuppressionList>> open(const std::filesystem::path& database);

    SuppressionList(const SuppressionList&) = delete;
    SuppressionList& operator=(const SuppressionList&) = delete;
    ~SuppressionList();

    // The entry that suppresses `address` for mail from `sender_domain` (the entry of the
    // message's list `list_id` first when one is given, then the domain's, then the global
    // one); nullopt when none. "" or "*" as the sender domain (the null sender has none) looks
    // at the global entries alone. Microseconds: one statement. An address the list could not
    // hold is simply not on it.
    Result<std::optional<Entry>> check(std::string_view address, std::string_view sender_domain,
                                       std::string_view list_id = {});

    // false: it was there already (kept, with its first date and reason). An invalid address
    // or scope is an Error. Control characters in the reason become spaces: the reason is
    // repeated in SMTP replies and log lines, which a CR LF would end.
    Result<bool> add(Entry entry);

    // false: there was no such entry.
    Result<bool> remove(std::string_view address, std::string_view scope);

    // A change that add() or remove() made, told to whoever shares the list (the other nodes
    // of a cluster: state/shared_suppressions.hpp), on the thread that made it, once stored.
    struct Change {
        bool removed = false;  // a removal names the address and scope alone
        Entry entry;
    };
    void set_observer(std::function<void(const Change&)> observer);
    // A change another node made: applied as add() or remove() would, and told to nobody.
    Result<bool> take(const Change& change);

    // Entries ordered by (address, scope), the first after `after_address` (paging: pass the
    // last address of the previous page; "" for the first). Scope "" means every scope. At most
    // `limit` entries, except that a page never ends inside one address's entries: with every
    // scope, the last address comes with all its scopes, so that the next page can start
    // after it.
    Result<std::vector<Entry>> list(std::string_view scope, std::string_view after_address,
                                    std::size_t limit);

    // Reads CSV lines `address[,scope[,reason[,created]]]` (RFC 4180 quoting; what export_csv
    // writes) or bare addresses; blank lines, # comments and a first line naming the columns
    // are skipped. Lines without a scope get default_scope. All in one transaction: an error
    // adds nothing. Counts: entries added, entries that were there already (a line repeated in
    // the input too), lines that are not entries. Other threads of this process wait for the
    // whole import (other processes go on reading): it is for the CLI.
    struct ImportCount {
        std::size_t added = 0, existing = 0, invalid = 0;
    };
    Result<ImportCount> import(std::istream& in, std::string_view default_scope,
                               std::string_view source, std::int64_t now);

    // One line per entry, `address,scope,reason,created` (unix seconds), quoted as RFC 4180
    // says, in list()'s order. Scope "" means every scope.
    Status export_csv(std::ostream& out, std::string_view scope);

    Result<std::size_t> count();

  private:
    struct CloseDatabase {
        void operator()(sqlite3* db) const;
    };
    struct FinalizeStatement {
        void operator()(sqlite3_stmt* statement) const;
    };
    using Database = std::unique_ptr<sqlite3, CloseDatabase>;
    using Statement = std::unique_ptr<sqlite3_stmt, FinalizeStatement>;

    SuppressionList(std::string path, Database db);
    Status prepare_statements();
    Result<Statement> prepare(const char* sql);
    Status exec(const char* sql);
    Error failure(std::string_view what) const;
    // The entry of `list` (a list scope, or "" for none) for `address`, else of `scope`, else
    // the global one.
    Result<std::optional<Entry>> find(std::string_view address, std::string_view scope,
                                      std::string_view list);
    Result<bool> insert(const Entry& entry);
    Result<bool> store(Entry& entry);  // add() without the telling
    Result<bool> erase(std::string& address, std::string& scope);

    std::string path_;  // for error messages
    std::mutex mutex_;  // one user of the statements at a time
    std::function<void(const Change&)> observer_;
    Database db_;  // declared before the statements: closed after them
    Statement check_;
    Statement add_;
    Statement remove_;
    AnswerCache answers_{nullptr};  // declared after the database: unmapped before it closes
};

}  // namespace herald::suppression
