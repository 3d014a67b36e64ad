#include "cli/suppress_command.hpp"

#include <unistd.h>

#include <fmt/core.h>
#include <boost/json.hpp>

#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <variant>

#include "accept/local_submission.hpp"
#include "cli/cluster_command.hpp"
#include "cli/config_loading.hpp"
#include "cli/spool_owner.hpp"
#include "suppression/suppression_list.hpp"
#include "suppression/suppressions.hpp"

namespace herald::cli {

namespace {

using suppression::Entry;
using suppression::SuppressionList;

// A page of `list` in memory at a time, whatever the size of the list.
constexpr std::size_t kPage = 1000;

struct SuppressArgs {
    std::string address;
    // add, remove, check, import: "" is every sender ("*"). list, export: "" is every scope.
    std::string domain;
    std::string reason;
    std::string file;
    bool json = false;
};

int misuse(std::string_view command, const std::string& why) {
    fmt::print(stderr, "herald: suppress {}: {}\n", command, why);
    return kExitUsage;
}

int failure(std::string_view command, const std::string& why) {
    fmt::print(stderr, "herald: suppress {}: {}\n", command, why);
    return kExitFailure;
}

// The scope --domain names: "*" when it is not given (add, remove, check, import).
Result<std::string> scope_of(const std::string& domain) {
    return suppression::normalized_scope(domain.empty() ? "*" : domain);
}

// --domain for list and export: "" (not given) is every scope.
Result<std::string> filter_of(const std::string& domain) {
    if (domain.empty()) return std::string();
    return suppression::normalized_scope(domain);
}

// The list of the configuration, opened as the spool's owner when run as root: even a reader
// creates the WAL's -shm file, which the server must be able to open after us. nullptr once
// it has said why not, with `exit_code` set. `cluster`, if given, gets [cluster].
std::unique_ptr<SuppressionList> open_list(const GlobalOptions& global, std::string_view command,
                                           int& exit_code, config::Cluster* cluster = nullptr) {
    auto config = load_config_or_report(global.config);
    if (!config) {
        exit_code = kExitUsage;
        return nullptr;
    }
    if (auto failed = become_spool_owner(config->server.spool_dir)) {
        exit_code = failure(command, *failed);
        return nullptr;
    }
    auto opened = SuppressionList::open(config->suppression.database);
    if (!opened) {
        exit_code = failure(command, opened.error());
        return nullptr;
    }
    share_with_cluster(config->cluster, **opened);
    if (cluster) *cluster = config->cluster;
    return std::move(*opened);
}

// One address of one scope, both checked (misuse: exit 2 before anything is opened), and the
// list they are in. An exit code once it has said why not.
struct Target {
    std::string address;
    std::string scope;
    std::unique_ptr<SuppressionList> list;
};

std::variant<Target, int> open_target(const GlobalOptions& global, const SuppressArgs& args,
                                      std::string_view command) {
    auto address = suppression::normalized_address(args.address);
    if (!address) return misuse(command, address.error());
    auto scope = scope_of(args.domain);
    if (!scope) return misuse(command, scope.error());
    int exit_code = kExitOk;
    auto list = open_list(global, command, exit_code);
    if (!list) return exit_code;
    return Target{std::move(*address), std::move(*scope), std::move(list)};
}

int add_entry(const GlobalOptions& global, const SuppressArgs& args) {
    // Who asked: known before open_list may make us the spool's owner.
    const std::string reason =
        args.reason.empty() ? "added by " + accept::local_user_name(::getuid()) : args.reason;
    auto opened = open_target(global, args, "add");
    if (auto* exit_code = std::get_if<int>(&opened)) return *exit_code;
    Target& t = std::get<Target>(opened);
    auto added = t.list->add(
        Entry{.address = t.address, .scope = t.scope, .reason = reason, .source = "cli"});
    if (!added) return failure("add", added.error());
    if (*added) {
        fmt::print("suppressed {} for {}\n", t.address, t.scope);
        return kExitOk;
    }
    // There already: its scope's own entry, which check() gives before the global one.
    auto existing = t.list->check(t.address, t.scope);
    if (!existing) return failure("add", existing.error());
    if (!*existing) return failure("add", t.address + " was removed meanwhile; try again");
    fmt::print("already suppressed {} for {} since {}\n", t.address, t.scope,
               suppression::day_of((*existing)->created));
    return kExitOk;
}

int remove_entry(const GlobalOptions& global, const SuppressArgs& args) {
    auto opened = open_target(global, args, "remove");
    if (auto* exit_code = std::get_if<int>(&opened)) return *exit_code;
    Target& t = std::get<Target>(opened);
    auto removed = t.list->remove(t.address, t.scope);
    if (!removed) return failure("remove", removed.error());
    if (!*removed) {
        fmt::print("{} was not suppressed for {}\n", t.address, t.scope);
        return kExitFailure;
    }
    fmt::print("removed {} for {}\n", t.address, t.scope);
    return kExitOk;
}

int check_address(const GlobalOptions& global, const SuppressArgs& args) {
    auto opened = open_target(global, args, "check");
    if (auto* exit_code = std::get_if<int>(&opened)) return *exit_code;
    Target& t = std::get<Target>(opened);
    auto found = t.list->check(t.address, t.scope);
    if (!found) return failure("check", found.error());
    if (!*found) {
        fmt::print("{} not suppressed\n", t.address);
        return kExitFailure;
    }
    const Entry& entry = **found;
    fmt::print("{} suppressed for {} since {}: {}\n", entry.address, entry.scope,
               suppression::day_of(entry.created), entry.reason);
    return kExitOk;
}

// Page by page, so that a list of a million entries is printed in the memory of one page.
int list_entries(const GlobalOptions& global, const SuppressArgs& args) {
    auto scope = filter_of(args.domain);
    if (!scope) return misuse("list", scope.error());
    int exit_code = kExitOk;
    auto list = open_list(global, "list", exit_code);
    if (!list) return exit_code;
    std::size_t shown = 0;
    std::string after;
    if (args.json) fmt::print("[");
    while (true) {
        auto page = list->list(*scope, after, kPage);
        if (!page) {
            if (args.json) fmt::print("]\n");
            return failure("list", page.error());
        }
        for (const auto& entry : *page) {
            if (args.json) {
                fmt::print("{}{}", shown == 0 ? "" : ",",
                           boost::json::serialize(suppression::entry_json(entry)));
            } else {
                fmt::print("{} {} {} {} ({})\n", entry.address, entry.scope,
                           suppression::day_of(entry.created), entry.reason, entry.source);
            }
            ++shown;
        }
        if (page->size() < kPage) break;
        after = page->back().address;
    }
    if (args.json) {
        fmt::print("]\n");
    } else {
        fmt::print("{} {}\n", shown, shown == 1 ? "entry" : "entries");
    }
    return kExitOk;
}

int import_file(const GlobalOptions& global, const SuppressArgs& args) {
    auto scope = scope_of(args.domain);
    if (!scope) return misuse("import", scope.error());
    // Read as the user who ran the command, before open_list may make us the spool's owner.
    std::ifstream file;
    if (args.file != "-") {
        file.open(args.file);
        if (!file) return failure("import", "cannot read " + args.file);
    }
    int exit_code = kExitOk;
    config::Cluster cluster;
    auto list = open_list(global, "import", exit_code, &cluster);
    if (!list) return exit_code;
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    auto counted = list->import(args.file == "-" ? std::cin : file, *scope, "import", now);
    if (!counted) return failure("import", counted.error() + " (nothing was imported)");
    fmt::print("imported {} {}; {} already suppressed, {} invalid {} skipped\n", counted->added,
               counted->added == 1 ? "address" : "addresses", counted->existing, counted->invalid,
               counted->invalid == 1 ? "line" : "lines");
    if (counted->added > 0) share_import_with_cluster(cluster);
    return kExitOk;
}

int export_entries(const GlobalOptions& global, const SuppressArgs& args) {
    auto scope = filter_of(args.domain);
    if (!scope) return misuse("export", scope.error());
    int exit_code = kExitOk;
    auto list = open_list(global, "export", exit_code);
    if (!list) return exit_code;
    if (auto st = list->export_csv(std::cout, *scope); !st) return failure("export", st.error());
    return kExitOk;
}

}  // namespace

void add_suppress_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto* suppress =
        app.add_subcommand("suppress", "The suppression list: recipients Herald must not mail");
    suppress->require_subcommand(1);
    auto args = std::make_shared<SuppressArgs>();
    const auto run = [&global, &exit_code,
                      args](int (*command)(const GlobalOptions&, const SuppressArgs&)) {
        return [&global, &exit_code, args, command] { exit_code = command(global, *args); };
    };

    auto* add_command = suppress->add_subcommand("add", "Suppress an address");
    add_command->add_option("address", args->address, "the recipient's address")->required();
    add_command->add_option("--domain", args->domain,
                            "only for mail from this sender domain, or DOMAIN:LIST-ID for one of "
                            "its lists (default: from every sender)");
    add_command->add_option("--reason", args->reason, "why (default: added by <your user name>)");
    add_command->callback(run(add_entry));

    auto* remove_command = suppress->add_subcommand("remove", "Take an address off the list");
    remove_command->add_option("address", args->address, "the recipient's address")->required();
    remove_command->add_option("--domain", args->domain,
                               "the sender domain's entry (default: the one for every sender)");
    remove_command->callback(run(remove_entry));

    auto* list_command = suppress->add_subcommand("list", "One line per entry, in address order");
    list_command->add_option("--domain", args->domain,
                             "only this sender domain's entries ('*': those for every sender)");
    list_command->add_flag("--json", args->json, "print a JSON array");
    list_command->callback(run(list_entries));

    auto* check_command = suppress->add_subcommand(
        "check", "Whether mail to an address is suppressed; exits 1 when it is not");
    check_command->add_option("address", args->address, "the recipient's address")->required();
    check_command->add_option(
        "--domain", args->domain,
        "for mail from this sender domain (default: the entries for every sender)");
    check_command->callback(run(check_address));

    auto* import_command = suppress->add_subcommand(
        "import", "Add the addresses of a CSV file: address[,domain[,reason]] a line");
    import_command->add_option("file", args->file, "the file; - for standard input")->required();
    import_command->add_option("--domain", args->domain,
                               "for lines that name none (default: every sender)");
    import_command->callback(run(import_file));

    auto* export_command =
        suppress->add_subcommand("export", "Print the list as CSV: address,domain,reason,created");
    export_command->add_option("--domain", args->domain,
                               "only this sender domain's entries ('*': those for every sender)");
    export_command->callback(run(export_entries));
}

}  // namespace herald::cli
