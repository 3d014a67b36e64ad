#include "delivery/transports/mailbox_path.hpp"

#include <algorithm>

namespace herald::delivery {

namespace {

constexpr std::size_t kMaxNameLength = 64;  // RFC 5321 4.5.3.1.1: the longest local part

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c);
    });
    return out;
}

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
    auto at = recipient.rfind('@');
    std::string user = lower(recipient.substr(0, at));
    std::string domain = at == std::string_view::npos ? "" : lower(recipient.substr(at + 1));
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
