#include "mailauth/dkim/header_hash.hpp"

namespace herald::mailauth::dkim {

void hash_signed_headers(Sha256& sha, std::string_view message, const message::HeaderBlock& block,
                         const std::vector<std::string>& names, Canonicalization c) {
    const auto& fields = block.fields();
    std::vector<bool> used(fields.size(), false);
    std::string canonical;
    for (const auto& name : names) {
        for (std::size_t i = fields.size(); i-- > 0;) {
            if (used[i] || !message::same_field_name(fields[i].name, name)) continue;
            used[i] = true;
            canonical.clear();
            canonicalize_header(c, message.substr(fields[i].begin, fields[i].end - fields[i].begin),
                                canonical);
            sha.update(canonical);
            break;
        }
    }
}

void hash_signature_field(Sha256& sha, std::string_view field_without_b, Canonicalization c) {
    while (field_without_b.ends_with("\r\n")) field_without_b.remove_suffix(2);
    std::string canonical;
    canonicalize_header(c, field_without_b, canonical);
    canonical.resize(canonical.size() - 2);  // the CRLF canonicalize_header added
    sha.update(canonical);
}

}  // namespace herald::mailauth::dkim
