#include "policy/local_recipients.hpp"

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "base/address_parts.hpp"
#include "base/ascii_case.hpp"
#include "base/trimmed.hpp"
#include "policy/recipient_address.hpp"
#include "smtp/canonical_address.hpp"

namespace herald::policy {

namespace {

constexpr std::size_t kMaxFileSize = 64 * 1024 * 1024;

// Calls `add` for each line of the file that is not blank or a comment ("# ...").
Status read_lines(const std::filesystem::path& path,
                  const std::function<Status(std::string_view)>& add) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        return Error{path.string() + ":0: is not a readable regular file"};
    }
    if (std::filesystem::file_size(path, ec) > kMaxFileSize) {
        return Error{path.string() + ":0: is larger than 64 MiB"};
    }
    std::ifstream in(path);
    if (!in) return Error{path.string() + ":0: cannot be read"};
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        std::string_view entry = trimmed(std::string_view(line).substr(0, line.find('#')));
        if (entry.empty()) continue;
        if (auto added = add(entry); !added) {
            return Error{path.string() + ":" + std::to_string(number) + ": " + added.error()};
        }
    }
    return ok_status();
}

}  // namespace

LocalRecipients LocalRecipients::none(const config::Local& local, std::string_view hostname) {
    LocalRecipients out;
    for (const auto& domain : local.domains) out.domains_.insert(ascii_lowercase(domain));
    out.postmaster_ = local.postmaster;
    if (out.postmaster_.empty()) {
        out.postmaster_ =
            "postmaster@" + (local.domains.empty() ? std::string(hostname)
                                                   : ascii_lowercase(local.domains.front()));
    }
    return out;
}

Result<LocalRecipients> LocalRecipients::load(const config::Local& local,
                                              std::string_view hostname) {
    LocalRecipients out = none(local, hostname);
    if (auto postmaster = smtp::canonical_mailbox(out.postmaster_); postmaster) {
        out.postmaster_ = *postmaster;
    } else {
        return Error{"[local] postmaster '" + out.postmaster_ + "': " + postmaster.error()};
    }
    for (const auto& entry : local.recipients) {
        if (auto added = out.add_recipient(entry); !added) {
            return Error{"[local] recipients: " + added.error()};
        }
    }
    auto add_recipient = [&out](std::string_view entry) { return out.add_recipient(entry); };
    if (!local.recipients_file.empty()) {
        if (auto read = read_lines(local.recipients_file, add_recipient); !read)
            return Error{read.error()};
    }
    auto add_alias = [&out](std::string_view line) { return out.add_alias(line); };
    if (!local.aliases_file.empty()) {
        if (auto read = read_lines(local.aliases_file, add_alias); !read)
            return Error{read.error()};
    }
    return out;
}

Status LocalRecipients::add_recipient(std::string_view entry) {
    const std::string lowered = ascii_lowercase(entry);
    const std::string_view name = local_part_of(lowered);
    if (!is_mailbox_name(name)) {
        return Error{"'" + std::string(entry) +
                     "' is not a mailbox name (letters, digits and . _ + -)"};
    }
    if (name.size() == lowered.size()) {
        names_.insert(lowered);
    } else {
        addresses_.insert(lowered);
    }
    return ok_status();
}

Status LocalRecipients::add_alias(std::string_view line) {
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return Error{"an alias is \"name: target, target\""};
    const std::string name = ascii_lowercase(trimmed(line.substr(0, colon)));
    if (!is_mailbox_name(local_part_of(name))) {
        return Error{"alias '" + name + "' is not a mailbox name (letters, digits and . _ + -)"};
    }
    std::vector<std::string> targets;
    std::stringstream list{std::string(line.substr(colon + 1))};
    for (std::string target; std::getline(list, target, ',');) {
        const std::string_view t = trimmed(target);
        if (t.empty()) continue;
        if (t.find('@') == std::string_view::npos) {
            if (!is_mailbox_name(t))
                return Error{"target '" + std::string(t) + "' is not a mailbox name"};
            targets.emplace_back(ascii_lowercase(t));
        } else {
            auto canonical = smtp::canonical_mailbox(t);
            if (!canonical) return Error{"target '" + std::string(t) + "': " + canonical.error()};
            targets.push_back(std::move(*canonical));
        }
    }
    if (targets.empty()) return Error{"alias '" + name + "' has no target"};
    aliases_[name] = std::move(targets);
    return ok_status();
}

bool LocalRecipients::is_local_domain(std::string_view domain) const {
    return domains_.contains(ascii_lowercase(domain));
}

const std::vector<std::string>* LocalRecipients::alias_of(std::string_view local,
                                                          std::string_view domain) const {
    const std::string name = ascii_lowercase(local);
    if (auto found = aliases_.find(name + "@" + std::string(domain)); found != aliases_.end())
        return &found->second;
    if (auto found = aliases_.find(name); found != aliases_.end()) return &found->second;
    return nullptr;
}

bool LocalRecipients::accepts(std::string_view address) const {
    if (ascii_lowercase(address) == "postmaster") return true;
    auto parsed = RecipientAddress::parse(address);
    if (!parsed || !is_local_domain(parsed->domain)) return false;
    // A quoted local part stays quoted in canonical form only when it is no plain name, so it
    // is never a mailbox: refused here, not at delivery after a 250.
    if (parsed->quoted || !parsed->local_part_is_mailbox_name()) return false;
    const std::string name = ascii_lowercase(parsed->local_part);
    return name == "postmaster" || names_.contains(name) ||
           addresses_.contains(name + "@" + parsed->domain) ||
           alias_of(name, parsed->domain) != nullptr;
}

std::vector<std::string> LocalRecipients::delivery_addresses(std::string_view address) const {
    if (ascii_lowercase(address) == "postmaster") return delivery_addresses(postmaster_);
    const std::string domain = ascii_lowercase(domain_of(address));
    if (!is_local_domain(domain)) return {std::string(address)};
    const auto* targets = alias_of(local_part_of(address), domain);
    if (!targets) return {std::string(address)};
    std::vector<std::string> out;
    for (const auto& target : *targets) {
        out.push_back(target.find('@') == std::string::npos ? target + "@" + domain : target);
    }
    return out;
}

}  // namespace herald::policy
