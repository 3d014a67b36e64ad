#include "delivery/transports/mailbox_path.hpp"

#include <algorithm>

#include "base/address_parts.hpp"
#include "base/ascii_case.hpp"

namespace herald::delivery {

namespace {

constexpr std::size_t kMaxNameLength = 64;  // RFC 5321 4.5.3.1.1: the longest local part

bool is_name_char(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '+' || c == '-';
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
    for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
        s.replace(pos, from.size(), to);
    }
}

}  // namespace

bool is_safe_mailbox_name(std::string_view name) {
    return !name.empty() && name.size() <= kMaxNameLength && name.front() != '.' &&
           name.find("..") == std::string_view::npos &&
           std::all_of(name.begin(), name.end(),
                       [](char c) { return is_name_char(static_cast<unsigned char>(c)); });
}

Result<std::filesystem::path> MailboxPath::for_recipient(std::string_view recipient) const {
    std::string user = ascii_lowercase(local_part_of(recipient));
    std::string domain = ascii_lowercase(domain_of(recipient));
    std::string path = template_;
    if (path.find("{user}") != std::string::npos) {
        if (!is_safe_mailbox_name(user)) return Error{"unsafe mailbox name"};
        replace_all(path, "{user}", user);
    }
    if (path.find("{domain}") != std::string::npos) {
        if (!is_safe_mailbox_name(domain)) return Error{"unsafe mailbox domain"};
        replace_all(path, "{domain}", domain);
    }
    return std::filesystem::path(path);
}

}  // namespace herald::delivery
