#pragma once
// Where a local recipient's mail goes: the configured template ("var/mail/{user}") with the
// recipient's local part ({user}) and domain ({domain}) put in, both lower-cased.
#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace herald::delivery {

// True when `name` can be a file name under the mail directory as it is: only letters,
// digits and . _ + -, no leading dot (no hidden files, no "." or "..") and no "..". The policy
// already refuses other local parts at RCPT; this is the last wall before a path is built.
bool is_safe_mailbox_name(std::string_view name);

class MailboxPath {
  public:
    explicit MailboxPath(std::string path_template) : template_(std::move(path_template)) {}

    // The mailbox of `recipient` ("user@domain"), or why no file may be made for it.
    Result<std::filesystem::path> for_recipient(std::string_view recipient) const;

    const std::string& path_template() const { return template_; }

  private:
    std::string template_;
};

}  // namespace herald::delivery
