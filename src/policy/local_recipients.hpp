#pragma once
// Who exists here: the local recipients accepted at RCPT, as Postfix's local_recipient_maps
// and aliases. An unknown local part is refused at RCPT (550 5.1.1) instead of accepted and
// then bounced or turned into a new mailbox: a 250 for every made-up name let one message to
// 100 invented users write 100 mailboxes, and a bounce of it is backscatter to a forged sender.
//
// What is accepted here is exactly what delivery takes: mailbox names compare in lower case
// (the mailbox path lower-cases them too) and only names safe as file names are listed.
//   - [local] recipients and recipients_file: "user" (every local domain) or "user@domain";
//   - aliases_file: "name: target, target", a target a mailbox name (same domain) or an
//     address; aliases expand at RCPT, one level, so the queue holds where mail really goes;
//   - postmaster@ every local domain is always accepted, and <postmaster> without a domain
//     (RFC 5321 4.5.1) goes to [local] postmaster.
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/result.hpp"
#include "config/config.hpp"

namespace herald::policy {

class LocalRecipients {
  public:
    // Reads the lists and both files; the error names the file and line that is wrong.
    static Result<LocalRecipients> load(const config::Local& local, std::string_view hostname);
    // No recipients at all but postmaster: what is left when the files cannot be read.
    static LocalRecipients none(const config::Local& local, std::string_view hostname);

    bool is_local_domain(std::string_view domain) const;
    // For a canonical address of a local domain: whether mail to it is accepted.
    bool accepts(std::string_view address) const;
    // The envelope recipients `address` stands for: its alias's targets, where <postmaster>
    // goes, or itself.
    std::vector<std::string> delivery_addresses(std::string_view address) const;

  private:
    LocalRecipients() = default;
    Status add_recipient(std::string_view entry);
    Status add_alias(std::string_view line);
    const std::vector<std::string>* alias_of(std::string_view local, std::string_view domain) const;

    std::unordered_set<std::string> domains_;    // lower-case
    std::unordered_set<std::string> names_;      // "user", lower-case: in every local domain
    std::unordered_set<std::string> addresses_;  // "user@domain", lower-case
    // "name" or "name@domain" (lower-case) -> targets as written ("bob", "bob@example.net")
    std::unordered_map<std::string, std::vector<std::string>> aliases_;
    std::string postmaster_;
};

}  // namespace herald::policy
