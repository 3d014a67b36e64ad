#include "mailauth/dkim/signing_keys.hpp"

#include <cctype>

#include "message/address_list.hpp"
#include "message/header_block.hpp"

namespace herald::mailauth::dkim {

std::optional<std::string> author_domain(std::string_view message) {
    return author_domain(message::HeaderBlock::parse(message));
}

std::optional<std::string> author_domain(const message::HeaderBlock& block) {
    if (block.count("From") != 1) return std::nullopt;
    const auto addresses = message::split_address_list(block.find("From")->value);
    if (addresses.size() != 1) return std::nullopt;
    const std::size_t at = addresses.front().rfind('@');
    if (at == std::string::npos || at + 1 == addresses.front().size()) return std::nullopt;
    std::string domain = addresses.front().substr(at + 1);
    for (char& c : domain) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return domain;
}

void SigningKeys::add(std::string domain, Signer signer) {
    for (char& c : domain) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    keys_.push_back({std::move(domain), std::move(signer)});
}

std::vector<const Signer*> SigningKeys::for_domain(std::string_view from_domain) const {
    std::vector<const Signer*> own, fallback;
    for (const auto& entry : keys_) {
        if (message::same_field_name(entry.domain, from_domain)) own.push_back(&entry.signer);
        if (entry.domain == "*") fallback.push_back(&entry.signer);
    }
    return own.empty() ? fallback : own;
}

Result<std::string> SigningKeys::sign(std::string_view message, const SignOptions& options) const {
    const auto domain = author_domain(message);
    if (!domain) return std::string();
    std::string fields;
    for (const Signer* signer : for_domain(*domain)) {
        auto field = signer->sign(message, *domain, options);
        if (!field)
            return Error{"DKIM key " + signer->selector() + " for " + *domain + ": " +
                         field.error()};
        fields += *field;
    }
    return fields;
}

}  // namespace herald::mailauth::dkim
