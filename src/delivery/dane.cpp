#include "delivery/dane.hpp"

#include <algorithm>

#include "base/hmac_sha256.hpp"

namespace herald::delivery {

namespace {

constexpr std::uint8_t kDaneTa = 2;
constexpr std::uint8_t kDaneEe = 3;
constexpr std::size_t kSha256Size = 32;
constexpr std::size_t kSha512Size = 64;

}  // namespace

bool usable_for_smtp(const dns::TlsaRecord& record) {
    if (record.usage != kDaneTa && record.usage != kDaneEe) return false;
    if (record.selector > 1 || record.data.empty()) return false;
    switch (record.matching_type) {
        case 0:
            return true;
        case 1:
            return record.data.size() == kSha256Size;
        case 2:
            return record.data.size() == kSha512Size;
        default:
            return false;
    }
}

DaneRequirement dane_requirement(const dns::Answer<dns::TlsaRecord>& answer,
                                 std::string_view tlsa_name) {
    using Kind = DaneRequirement::Kind;
    const std::string name(tlsa_name);
    switch (answer.status) {
        case dns::Status::ok:
            break;
        case dns::Status::nxdomain:
        case dns::Status::nodata:
            return {};  // no records, secure denial or not: the usual policy
        default:
            // RFC 7672 2.2: a failed or bogus TLSA lookup could hide records an attacker
            // removed: the host is not tried, rather than tried without DANE.
            return {
                Kind::unreachable,
                {},
                "TLSA lookup for " + name + " failed: " +
                    (answer.why.empty() ? std::string(dns::to_string(answer.status)) : answer.why)};
    }
    if (!answer.secure) return {};  // RFC 7672 2.2: insecure records are ignored
    DaneRequirement requirement{Kind::authenticate, {}, ""};
    std::copy_if(answer.records.begin(), answer.records.end(),
                 std::back_inserter(requirement.records), usable_for_smtp);
    if (requirement.records.empty()) requirement.kind = Kind::encrypt;
    return requirement;
}

std::string presentation(const dns::TlsaRecord& record) {
    const auto* data = reinterpret_cast<const unsigned char*>(record.data.data());
    return std::to_string(record.usage) + " " + std::to_string(record.selector) + " " +
           std::to_string(record.matching_type) + " " + lower_hex(data, record.data.size());
}

std::string tlsa_name(std::string_view host, std::uint16_t port) {
    if (host.ends_with('.')) host.remove_suffix(1);
    return "_" + std::to_string(port) + "._tcp." + std::string(host);
}

boost::asio::awaitable<DaneRequirement> dane_requirement_for(dns::Resolver& resolver,
                                                             const TargetHost& host,
                                                             std::uint16_t port) {
    if (!host.secure) co_return DaneRequirement{};
    const std::string name = tlsa_name(host.name, port);
    co_return dane_requirement(co_await resolver.tlsa(name), name);
}

}  // namespace herald::delivery
