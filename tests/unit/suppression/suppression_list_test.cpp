#include "suppression/suppression_list.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

namespace herald::suppression {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kCreated = 1'796'288'400;  // 2026-12-03T09:00:00Z

class SuppressionListTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char pattern[] = "/tmp/herald-suppression-XXXXXX";
        dir_ = ::mkdtemp(pattern);
        database_ = dir_ / "suppression.db";
        list_ = open_list();
    }
    void TearDown() override {
        list_.reset();
        fs::remove_all(dir_);
    }

    std::unique_ptr<SuppressionList> open_list() {
        auto opened = SuppressionList::open(database_);
        EXPECT_TRUE(opened) << opened.error();
        return opened ? std::move(*opened) : nullptr;
    }

    bool add(std::string address, std::string scope = "*", std::string reason = "a reason",
             std::int64_t created = kCreated) {
        auto added = list_->add(Entry{.address = std::move(address),
                                      .scope = std::move(scope),
                                      .reason = std::move(reason),
                                      .source = "cli",
                                      .created = created});
        EXPECT_TRUE(added) << added.error();
        return added && *added;
    }

    std::optional<Entry> check(SuppressionList& list, std::string_view address,
                               std::string_view sender_domain) {
        auto found = list.check(address, sender_domain);
        EXPECT_TRUE(found) << found.error();
        return found ? *found : std::nullopt;
    }
    std::optional<Entry> check(std::string_view address, std::string_view sender_domain = "") {
        return check(*list_, address, sender_domain);
    }

    std::vector<std::string> listed(std::string_view scope, std::string_view after,
                                    std::size_t limit) {
        auto page = list_->list(scope, after, limit);
        EXPECT_TRUE(page) << page.error();
        std::vector<std::string> out;
        if (page) {
            for (const auto& entry : *page) out.push_back(entry.address + " " + entry.scope);
        }
        return out;
    }

    SuppressionList::ImportCount import(const std::string& text, std::string_view scope = "*") {
        std::istringstream in(text);
        auto count = list_->import(in, scope, "import", kCreated);
        EXPECT_TRUE(count) << count.error();
        return count ? *count : SuppressionList::ImportCount{};
    }

    std::string exported(std::string_view scope = "") {
        std::ostringstream out;
        auto st = list_->export_csv(out, scope);
        EXPECT_TRUE(st) << st.error();
        return out.str();
    }

    std::size_t count() {
        auto n = list_->count();
        EXPECT_TRUE(n) << n.error();
        return n ? *n : 0;
    }

    fs::path dir_;
    fs::path database_;
    std::unique_ptr<SuppressionList> list_;
};

TEST_F(SuppressionListTest, AnAddedAddressIsSuppressedUntilItIsRemoved) {
    EXPECT_EQ(check("user@example.net"), std::nullopt);
    EXPECT_TRUE(add("user@example.net", "*", "550 5.1.1 no such user"));
    auto found = check("user@example.net");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->address, "user@example.net");
    EXPECT_EQ(found->scope, "*");
    EXPECT_EQ(found->reason, "550 5.1.1 no such user");
    EXPECT_EQ(found->source, "cli");
    EXPECT_EQ(found->created, kCreated);

    auto removed = list_->remove("user@example.net", "*");
    ASSERT_TRUE(removed) << removed.error();
    EXPECT_TRUE(*removed);
    EXPECT_EQ(check("user@example.net"), std::nullopt);
}

TEST_F(SuppressionListTest, AddingAgainKeepsTheFirstEntryWithItsDateAndReason) {
    EXPECT_TRUE(add("user@example.net", "*", "first", kCreated));
    EXPECT_FALSE(add("user@example.net", "*", "second", kCreated + kDay));
    auto found = check("user@example.net");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->reason, "first");
    EXPECT_EQ(found->created, kCreated);
    EXPECT_EQ(count(), 1u);
}

TEST_F(SuppressionListTest, AnEntryWithoutADateIsDatedNow) {
    const auto before = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    EXPECT_TRUE(add("user@example.net", "*", "r", 0));
    auto found = check("user@example.net");
    ASSERT_TRUE(found);
    EXPECT_GE(found->created, before);
    EXPECT_LE(found->created, before + 60);
}

TEST_F(SuppressionListTest, RemovingWhatIsNotThereSaysSo) {
    EXPECT_TRUE(add("user@example.net", "example.com"));
    auto removed = list_->remove("user@example.net", "*");
    ASSERT_TRUE(removed) << removed.error();
    EXPECT_FALSE(*removed);  // only the domain's entry exists
    EXPECT_TRUE(check("user@example.net", "example.com"));
}

TEST_F(SuppressionListTest, AGlobalEntrySuppressesForEverySender) {
    EXPECT_TRUE(add("user@example.net", "*"));
    EXPECT_TRUE(check("user@example.net", "example.com"));
    EXPECT_TRUE(check("user@example.net", "other.example"));
    EXPECT_TRUE(check("user@example.net", ""));  // the null sender
}

TEST_F(SuppressionListTest, ADomainsEntrySuppressesForThatSenderDomainOnly) {
    EXPECT_TRUE(add("user@example.net", "example.com"));
    EXPECT_TRUE(check("user@example.net", "example.com"));
    EXPECT_EQ(check("user@example.net", "other.example"), std::nullopt);
    EXPECT_EQ(check("user@example.net", ""), std::nullopt);
    EXPECT_EQ(check("user@example.net", "*"), std::nullopt);
}

TEST_F(SuppressionListTest, TheSenderDomainsEntryComesBeforeTheGlobalOne) {
    EXPECT_TRUE(add("user@example.net", "*", "global reason"));
    EXPECT_TRUE(add("user@example.net", "example.com", "domain reason"));
    auto found = check("user@example.net", "example.com");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->scope, "example.com");
    EXPECT_EQ(found->reason, "domain reason");
    found = check("user@example.net", "other.example");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->scope, "*");
    EXPECT_EQ(found->reason, "global reason");
}

TEST_F(SuppressionListTest, CaseDoesNotDodgeASuppression) {
    EXPECT_TRUE(add("John.Doe@Example.NET", "Example.COM"));
    auto found = check("JOHN.DOE@example.net", "EXAMPLE.com");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->address, "john.doe@example.net");
    EXPECT_EQ(found->scope, "example.com");
    EXPECT_FALSE(add("john.doe@EXAMPLE.net", "example.com"));
    auto removed = list_->remove("JOHN.doe@example.net", "EXAMPLE.COM");
    ASSERT_TRUE(removed) << removed.error();
    EXPECT_TRUE(*removed);
}

TEST_F(SuppressionListTest, NonAsciiBytesAreKeptAsTheyAre) {
    EXPECT_TRUE(add("J\xC3\xB6rg@Example.net"));
    auto found = check("j\xC3\xB6rg@example.net");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->address, "j\xC3\xB6rg@example.net");
}

TEST_F(SuppressionListTest, WhatIsNotAnAddressIsRefused) {
    for (const std::string& bad : std::vector<std::string>{
             "", "user", "@example.net", "user@", "a@b@example.net", "user name@example.net",
             "user@example.net\r\n", "us\ter@example.net",
             std::string(64, 'a') + "@" + std::string(190, 'b')}) {
        auto added = list_->add(Entry{.address = bad, .reason = "r", .source = "cli"});
        EXPECT_FALSE(added) << bad;
        EXPECT_FALSE(normalized_address(bad)) << bad;
    }
    EXPECT_TRUE(normalized_address(std::string(64, 'a') + "@" + std::string(189, 'b')));
    EXPECT_EQ(count(), 0u);
}

TEST_F(SuppressionListTest, WhatIsNotADomainIsRefusedAsAScope) {
    for (const std::string& bad : std::vector<std::string>{
             "", "example..com", ".example.com", "example.com.", "exa mple.com", "user@example.com",
             "example.com,", "**", std::string(64, 'a') + ".com"}) {
        auto added = list_->add(
            Entry{.address = "user@example.net", .scope = bad, .reason = "r", .source = "cli"});
        EXPECT_FALSE(added) << bad;
        EXPECT_FALSE(list_->remove("user@example.net", bad)) << bad;
    }
    EXPECT_TRUE(normalized_scope("*"));
    EXPECT_EQ(*normalized_scope("Mail-1.Example_Test.COM"), "mail-1.example_test.com");
}

TEST_F(SuppressionListTest, AListsEntrySuppressesThatListOnlyAndComesFirst) {
    EXPECT_TRUE(add("user@example.net", "Example.com:News.Example.com", "left the news"));
    EXPECT_EQ(check("user@example.net", "example.com"), std::nullopt);  // other mail goes
    auto found = list_->check("user@example.net", "example.com", "news.example.com");
    ASSERT_TRUE(found && *found);
    EXPECT_EQ((*found)->scope, "example.com:news.example.com");
    found = list_->check("user@example.net", "example.com", "offers.example.com");
    ASSERT_TRUE(found);
    EXPECT_EQ(*found, std::nullopt);
    found = list_->check("user@example.net", "other.example", "news.example.com");
    ASSERT_TRUE(found);
    EXPECT_EQ(*found, std::nullopt);  // the list of another sender domain
    // The list's entry before the domain's, the domain's before the global one.
    EXPECT_TRUE(add("user@example.net", "example.com", "domain"));
    EXPECT_TRUE(add("user@example.net", "*", "global"));
    found = list_->check("user@example.net", "example.com", "news.example.com");
    ASSERT_TRUE(found && *found);
    EXPECT_EQ((*found)->reason, "left the news");
    found = list_->check("user@example.net", "example.com", "offers.example.com");
    ASSERT_TRUE(found && *found);
    EXPECT_EQ((*found)->reason, "domain");
}

TEST_F(SuppressionListTest, AListScopeIsADomainAndAListId) {
    EXPECT_EQ(*normalized_scope("Shop.example:Deals.Shop.example"),
              "shop.example:deals.shop.example");
    for (std::string_view bad : {"*:news.example.com", "example.com:*", "example.com:", ":x.y",
                                 "example.com:a b", "example.com:x:y"}) {
        EXPECT_FALSE(normalized_scope(bad)) << bad;
    }
    EXPECT_EQ(list_scope("shop.example", "deals.shop.example"), "shop.example:deals.shop.example");
    EXPECT_EQ(list_scope("shop.example", "weird list+id"), std::nullopt);
    EXPECT_EQ(list_scope("shop.example", ""), std::nullopt);
    EXPECT_EQ(list_scope("", "deals.shop.example"), std::nullopt);
}

TEST_F(SuppressionListTest, ControlCharactersInAReasonBecomeSpaces) {
    // The reason ends up in a 550 reply: a CR LF in it would end the reply early.
    EXPECT_TRUE(add("user@example.net", "*", "line one\r\n250 ok\tthen"));
    auto found = check("user@example.net");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->reason, "line one  250 ok then");
}

TEST_F(SuppressionListTest, AScopesListIsInAddressOrderAndPagesAfterAnAddress) {
    for (auto address : {"d@x.example", "b@x.example", "a@x.example", "c@x.example"}) {
        EXPECT_TRUE(add(address, "example.com"));
    }
    EXPECT_TRUE(add("b2@x.example", "*"));  // another scope: not in example.com's list
    EXPECT_EQ(listed("example.com", "", 2),
              (std::vector<std::string>{"a@x.example example.com", "b@x.example example.com"}));
    EXPECT_EQ(listed("EXAMPLE.com", "b@x.example", 2),
              (std::vector<std::string>{"c@x.example example.com", "d@x.example example.com"}));
    EXPECT_EQ(listed("example.com", "d@x.example", 2), std::vector<std::string>{});
    EXPECT_EQ(listed("*", "", 10), std::vector<std::string>{"b2@x.example *"});
}

TEST_F(SuppressionListTest, AListOfEveryScopeNeverEndsAPageInsideAnAddress) {
    EXPECT_TRUE(add("a@x.example", "*"));
    EXPECT_TRUE(add("b@x.example", "*"));
    EXPECT_TRUE(add("b@x.example", "example.com"));
    EXPECT_TRUE(add("b@x.example", "example.org"));
    EXPECT_TRUE(add("c@x.example", "example.com"));
    // Two asked for: b's other scopes come along, so that the next page may start after b.
    EXPECT_EQ(listed("", "", 2),
              (std::vector<std::string>{"a@x.example *", "b@x.example *", "b@x.example example.com",
                                        "b@x.example example.org"}));
    EXPECT_EQ(listed("", "b@x.example", 2), (std::vector<std::string>{"c@x.example example.com"}));
    EXPECT_EQ(listed("", "", 0), std::vector<std::string>{});
    EXPECT_EQ(listed("", "", 100).size(), 5u);
}

TEST_F(SuppressionListTest, ImportCountsAddedExistingAndInvalidLines) {
    EXPECT_TRUE(add("known@example.net", "*"));
    const auto counted = import(
        "\xEF\xBB\xBF"
        "address,domain,reason\n"  // a header line naming the columns
        "# a comment\n"
        "\n"
        "plain@example.net\n"
        "Known@Example.net\n"  // there already
        "plain@example.net\n"  // twice in the file
        "scoped@example.net,example.com,complained\r\n"
        "  spaced@example.net , example.com , \"quoted, with comma\"\n"
        "dated@example.net,,reason,1700000000\n"
        "not an address\n"
        "bad-domain@example.net,exa mple.com\n"
        "open@example.net,\"never closed\n"
        "many@example.net,*,r,1,extra\n"
        "bad-date@example.net,*,r,yesterday\n");
    EXPECT_EQ(counted.added, 4u);
    EXPECT_EQ(counted.existing, 2u);
    EXPECT_EQ(counted.invalid, 5u);
    EXPECT_EQ(count(), 5u);

    auto plain = check("plain@example.net");
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->source, "import");
    EXPECT_EQ(plain->created, kCreated);
    EXPECT_EQ(plain->reason, "");
    auto spaced = check("spaced@example.net", "example.com");
    ASSERT_TRUE(spaced);
    EXPECT_EQ(spaced->scope, "example.com");
    EXPECT_EQ(spaced->reason, "quoted, with comma");
    auto dated = check("dated@example.net");
    ASSERT_TRUE(dated);
    EXPECT_EQ(dated->scope, "*");
    EXPECT_EQ(dated->created, 1'700'000'000);
    auto scoped = check("scoped@example.net", "example.com");
    ASSERT_TRUE(scoped);
    EXPECT_EQ(scoped->reason, "complained");
}

TEST_F(SuppressionListTest, ImportGivesLinesWithoutAScopeTheDefaultOne) {
    const auto counted = import("a@example.net\nb@example.net,*\n", "Example.COM");
    EXPECT_EQ(counted.added, 2u);
    EXPECT_TRUE(check("a@example.net", "example.com"));
    EXPECT_EQ(check("a@example.net", "other.example"), std::nullopt);
    EXPECT_TRUE(check("b@example.net", "other.example"));
}

TEST_F(SuppressionListTest, ImportRefusesAnInvalidDefaultScope) {
    std::istringstream in("a@example.net\n");
    EXPECT_FALSE(list_->import(in, "not a domain", "import", kCreated));
    EXPECT_EQ(count(), 0u);
}

TEST_F(SuppressionListTest, ExportQuotesFieldsAsRfc4180Says) {
    EXPECT_TRUE(add("plain@example.net", "*", "no such user", kCreated));
    EXPECT_TRUE(add("quoted@example.net", "example.com", "said \"go away\", twice", kCreated));
    EXPECT_TRUE(add("#hash@example.net", "*", " padded ", kCreated));
    EXPECT_EQ(exported(),
              "\"#hash@example.net\",*,\" padded \",1796288400\n"
              "plain@example.net,*,no such user,1796288400\n"
              "quoted@example.net,example.com,\"said \"\"go away\"\", twice\",1796288400\n");
    EXPECT_EQ(exported("example.com"),
              "quoted@example.net,example.com,\"said \"\"go away\"\", twice\",1796288400\n");
}

TEST_F(SuppressionListTest, WhatExportWritesImportReadsBackTheSame) {
    EXPECT_TRUE(add("plain@example.net", "*", "no such user", kCreated));
    EXPECT_TRUE(add("plain@example.net", "example.com", "complaint", kCreated + kDay));
    EXPECT_TRUE(add("quoted@example.net", "example.com", "said \"go away\", twice", kCreated));
    EXPECT_TRUE(add("#hash@example.net", "*", " padded ", kCreated));
    EXPECT_TRUE(add("empty@example.net", "*", "", kCreated));
    const auto csv = exported();

    fs::path other = dir_ / "other.db";
    auto copy = SuppressionList::open(other);
    ASSERT_TRUE(copy) << copy.error();
    std::istringstream in(csv);
    auto counted = (*copy)->import(in, "*", "import", 0);
    ASSERT_TRUE(counted) << counted.error();
    EXPECT_EQ(counted->added, 5u);
    EXPECT_EQ(counted->invalid, 0u);
    std::ostringstream again;
    ASSERT_TRUE((*copy)->export_csv(again, ""));
    EXPECT_EQ(again.str(), csv);
}

TEST_F(SuppressionListTest, EntriesOutliveTheListThatAddedThem) {
    EXPECT_TRUE(add("user@example.net", "example.com", "bounced"));
    list_.reset();
    list_ = open_list();
    ASSERT_TRUE(list_);
    auto found = check("user@example.net", "example.com");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->reason, "bounced");
    EXPECT_EQ(found->created, kCreated);
}

TEST_F(SuppressionListTest, TwoListsOnOneFileSeeEachOthersWritesAtOnce) {
    // The CLI and the server: two connections, each change seen by the other's next check.
    auto other = open_list();
    ASSERT_TRUE(other);
    EXPECT_EQ(check(*other, "user@example.net", ""), std::nullopt);
    EXPECT_TRUE(add("user@example.net"));
    EXPECT_TRUE(check(*other, "user@example.net", ""));

    auto removed = other->remove("user@example.net", "*");
    ASSERT_TRUE(removed) << removed.error();
    EXPECT_TRUE(*removed);
    EXPECT_EQ(check("user@example.net"), std::nullopt);

    std::istringstream in("a@example.net\nb@example.net\n");
    ASSERT_TRUE(other->import(in, "*", "import", kCreated));
    EXPECT_EQ(count(), 2u);
}

TEST_F(SuppressionListTest, ChecksFromManyThreadsWhileAddingGiveNoErrors) {
    std::vector<std::thread> threads;
    std::atomic<int> failures = 0;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 200; ++i) {
                const auto address =
                    "t" + std::to_string(t) + "-" + std::to_string(i) + "@x.example";
                if (!list_->add(Entry{.address = address, .reason = "r", .source = "api"})) {
                    ++failures;
                }
                auto found = list_->check(address, "example.com");
                if (!found || !*found) ++failures;
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(failures, 0);
    EXPECT_EQ(count(), 800u);
}

TEST_F(SuppressionListTest, TheFileIsInWalMode) {
    // Readers never wait for a writer: the server's checks go on during an import.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2(database_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* statement = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &statement, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(statement), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(statement, 0)), "wal");
    sqlite3_finalize(statement);
    sqlite3_close(db);
}

TEST_F(SuppressionListTest, AFileThatIsNotADatabaseIsAnErrorNotACrash) {
    list_.reset();
    const auto path = dir_ / "garbage.db";
    std::ofstream(path) << std::string(8192, 'x');
    auto opened = SuppressionList::open(path);
    ASSERT_FALSE(opened);
    EXPECT_NE(opened.error().find(path.string()), std::string::npos) << opened.error();
    EXPECT_NE(opened.error().find("not a database"), std::string::npos) << opened.error();
}

TEST_F(SuppressionListTest, ADamagedDatabaseGivesErrorsNotACrash) {
    std::ostringstream lines;
    for (int i = 0; i < 5000; ++i) lines << "user" << i << "@example.net,*,some reason\n";
    EXPECT_EQ(import(lines.str()).added, 5000u);
    list_.reset();  // the last connection folds the WAL into the file
    ASSERT_FALSE(fs::exists(dir_ / "suppression.db-wal"));
    const auto size = fs::file_size(database_);
    ASSERT_GT(size, 16384u);
    {
        // Every page after the first two: garbage.
        std::fstream file(database_, std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(8192);
        const std::string garbage(size - 8192, '\x55');
        file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
    }
    auto opened = SuppressionList::open(database_);
    if (!opened) {
        SUCCEED() << opened.error();
        return;
    }
    auto counted = (*opened)->count();
    EXPECT_FALSE(counted) << "a damaged file counted " << *counted;
    EXPECT_FALSE((*opened)->check("user1@example.net", ""));
    std::ostringstream out;
    EXPECT_FALSE((*opened)->export_csv(out, ""));
}

TEST_F(SuppressionListTest, AFileFromANewerHeraldIsRefused) {
    list_.reset();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(database_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    auto opened = SuppressionList::open(database_);
    ASSERT_FALSE(opened);
    EXPECT_NE(opened.error().find("schema version 99"), std::string::npos) << opened.error();
}

TEST_F(SuppressionListTest, AFileInADirectoryThatDoesNotExistIsAnError) {
    auto opened = SuppressionList::open(dir_ / "missing" / "suppression.db");
    ASSERT_FALSE(opened);
    EXPECT_NE(opened.error().find("missing/suppression.db"), std::string::npos) << opened.error();
}

}  // namespace
}  // namespace herald::suppression
