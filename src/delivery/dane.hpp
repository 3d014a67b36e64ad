#pragma once
// DANE for SMTP (RFC 7672): what an MX host's TLSA records ask of the TLS to it. Only records
// that DNSSEC validated count, and only for a host whose MX record and addresses validated
// too; anything less leaves the host to the destination's other policy (MTA-STS or
// opportunistic TLS). Where DANE applies it wins over MTA-STS (RFC 8461 2).
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "delivery/destination.hpp"
#include "dns/resolver.hpp"

namespace herald::delivery {

struct DaneRequirement {
    enum class Kind {
        none,          // no secure TLSA records: the destination's policy applies
        authenticate,  // TLS whose certificate matches one of `records`
        encrypt,       // secure records, none usable: TLS, unauthenticated (RFC 7672 2.2)
        unreachable,   // the TLSA lookup failed or was bogus: the host is not tried
    };
    Kind kind = Kind::none;
    std::vector<dns::TlsaRecord> records;  // authenticate: the usable ones
    std::string why;                       // unreachable: for the log and the deferral

    bool applies() const { return kind == Kind::authenticate || kind == Kind::encrypt; }
};

// RFC 7672 3.1: DANE-TA(2) and DANE-EE(3), with selector 0 or 1 and matching type 0, 1 or 2
// (a digest of the right length). PKIX-TA(0) and PKIX-EE(1) are not for SMTP.
bool usable_for_smtp(const dns::TlsaRecord& record);

// What the answer for `tlsa_name` asks: the decision, apart from the lookup.
DaneRequirement dane_requirement(const dns::Answer<dns::TlsaRecord>& answer,
                                 std::string_view tlsa_name);

// A record as a zone file writes it: "3 1 1 2a4e..." (RFC 6698 2.2), for TLS-RPT.
std::string presentation(const dns::TlsaRecord& record);

// The TLSA base for SMTP to `host` on `port`: "_25._tcp.mx.example.com" (RFC 7672 2.2.3).
std::string tlsa_name(std::string_view host, std::uint16_t port);

// Looks up `host`'s TLSA records when it is DNSSEC-secure; none otherwise.
boost::asio::awaitable<DaneRequirement> dane_requirement_for(dns::Resolver& resolver,
                                                             const TargetHost& host,
                                                             std::uint16_t port);

}  // namespace herald::delivery
