#include "policy/password_verifier.hpp"

#include <crypt.h>
#include <string.h>

#include <array>
#include <memory>

namespace herald::policy {

namespace {

// Longer passwords are refused: SHA-crypt's cost grows with the length, so a megabyte
// "password" would be a denial of service.
constexpr std::size_t kMaxPasswordLength = 1024;

// struct crypt_data is tens of kilobytes: on the heap, zeroed as crypt_r requires, and
// wiped after use because it held key material.
struct CryptScratch {
    std::unique_ptr<crypt_data> data = std::make_unique<crypt_data>();
    ~CryptScratch() { explicit_bzero(data.get(), sizeof(crypt_data)); }
};

// A comparison whose time does not depend on where the inputs differ.
bool equal_in_constant_time(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    volatile unsigned char difference = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        difference = difference | static_cast<unsigned char>(a[i] ^ b[i]);
    }
    return difference == 0;
}

// A yescrypt hash of a random password: nobody can log in with it.
std::string make_dummy_hash() {
    std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> setting{};
    if (crypt_gensalt_rn("$y$", 0, nullptr, 0, setting.data(), setting.size()) == nullptr) {
        return "$y$j9T$0000000000000000000000$";
    }
    CryptScratch scratch;
    const char* hash = crypt_r("no user has this password", setting.data(), scratch.data.get());
    return hash != nullptr && hash[0] == '$' ? hash : setting.data();
}

}  // namespace

PasswordVerifier::PasswordVerifier(const std::vector<config::User>& users) {
    for (const auto& user : users) hashes_.emplace(user.name, user.password_hash);
    // An unknown user costs what a known one costs: the same algorithm and parameters.
    dummy_hash_ = users.empty() ? make_dummy_hash() : users.front().password_hash;
}

bool PasswordVerifier::verify(std::string_view user, std::string_view password) const {
    auto it = hashes_.find(std::string(user));
    const bool known = it != hashes_.end();
    const std::string& hash = known ? it->second : dummy_hash_;
    const bool acceptable =
        password.size() <= kMaxPasswordLength && password.find('\0') == std::string_view::npos;
    std::string phrase(acceptable ? password : std::string_view{});

    CryptScratch scratch;
    const char* computed = crypt_r(phrase.c_str(), hash.c_str(), scratch.data.get());
    explicit_bzero(phrase.data(), phrase.size());
    // libxcrypt reports failure as NULL or a "*0"-style token, never a valid hash.
    const bool matches =
        computed != nullptr && computed[0] == '$' && equal_in_constant_time(computed, hash);
    return known && acceptable && matches;
}

}  // namespace herald::policy
