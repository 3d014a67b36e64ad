#pragma once
// Checks SMTP AUTH credentials against the crypt(3) hashes of [[user]] (libxcrypt).
// Safe to call from several threads at once. Passwords are never stored or logged.
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"

namespace herald::policy {

class PasswordVerifier {
  public:
    explicit PasswordVerifier(const std::vector<config::User>& users);

    // True only for a configured user and its password. Every call costs one crypt(), also
    // for an unknown user, so that response time does not tell which users exist.
    bool verify(std::string_view user, std::string_view password) const;

  private:
    std::unordered_map<std::string, std::string> hashes_;  // user -> crypt(3) hash
    std::string dummy_hash_;  // what an unknown user's password is hashed against
};

}  // namespace herald::policy
