#pragma once
// What a destination asks of TLS before its MX hosts are tried: nothing beyond the
// transport's own `tls` (opportunistic), or an MTA-STS policy (RFC 8461) that names the MX
// hosts allowed and, in `enforce` mode, wants each connection over TLS whose certificate a
// public CA signed for the MX host's name. The transport applies it; where it comes from
// (DNS, HTTPS, a cache) is tlspolicy/'s business.
#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "delivery/tls_session.hpp"

namespace herald::delivery {

struct TlsPolicy {
    enum class Kind { opportunistic, sts_testing, sts_enforce };
    Kind kind = Kind::opportunistic;
    std::vector<std::string> mx_patterns;     // "mx.example.com" or "*.example.com"
    std::vector<std::string> policy_strings;  // the policy's lines, for TLS-RPT
    // Opportunistic because the domain's published policy could not be had: what a TLS
    // report says of every session to it meanwhile (RFC 8460 4.3.2.2).
    std::optional<TlsFailure> fetch_failure;

    // MTA-STS enforce: only hosts the policy names, only over verified TLS.
    bool enforced() const { return kind == Kind::sts_enforce; }
    // Whether `mx_host` may be delivered to. Every host may under testing, but the mismatch
    // counts as a failure for the report.
    bool allows(std::string_view mx_host) const;
    bool names(std::string_view mx_host) const;
    // The mainlog's P=: "opportunistic", "sts" or "sts-testing".
    std::string_view label() const;
};

// RFC 8461 4.1: a pattern is a host name, or "*." and a domain, which stands for one label
// (not zero, not two). Case and a trailing dot do not matter.
bool mx_pattern_matches(std::string_view pattern, std::string_view mx_host);

class TlsPolicySource {
  public:
    virtual ~TlsPolicySource() = default;
    // Never fails: a policy that cannot be had now is opportunistic (RFC 8461 5: a sender
    // without a cached policy delivers as before), and a cached one still applies.
    virtual boost::asio::awaitable<TlsPolicy> policy_for(const std::string& domain) = 0;
};

}  // namespace herald::delivery
