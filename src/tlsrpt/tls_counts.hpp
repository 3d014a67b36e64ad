#pragma once
// The TLS sessions of one reporting period, added up as RFC 8460 4.3 reports them: per policy
// domain, per policy (its type, text and MX hosts), the successes, and the failures per
// result type, sending address, MX host and its address. Kept within bounds: past
// kMaxDomains domains, or kMaxFailureKinds kinds of failure in one policy, sessions are
// not counted but are counted as dropped. Pure.
#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "base/result.hpp"
#include "delivery/tls_session.hpp"

namespace herald::tlsrpt {

struct FailureKind {
    std::string result_type;  // "certificate-expired", ...
    std::string sending_ip;
    std::string receiving_mx;
    std::string receiving_ip;

    auto operator<=>(const FailureKind&) const = default;
};

struct PolicyCounts {
    std::string type;  // "sts", "tlsa", "no-policy-found"
    std::vector<std::string> strings;
    std::vector<std::string> mx_hosts;
    std::uint64_t successes = 0;
    std::map<FailureKind, std::uint64_t> failures;

    std::uint64_t failure_total() const;
    bool same_policy(const PolicyCounts& other) const {
        return std::tie(type, strings, mx_hosts) ==
               std::tie(other.type, other.strings, other.mx_hosts);
    }
};

class TlsCounts {
  public:
    static constexpr std::size_t kMaxDomains = 100000;
    static constexpr std::size_t kMaxFailureKinds = 1000;

    void add(const delivery::TlsSession& session);
    void merge(const TlsCounts& other);

    bool empty() const { return domains_.empty(); }
    const std::map<std::string, std::vector<PolicyCounts>>& domains() const { return domains_; }
    std::uint64_t dropped() const { return dropped_; }

    // The state file's form, and back; an Error for JSON that no Herald wrote.
    boost::json::value to_json() const;
    static Result<TlsCounts> from_json(const boost::json::value& value);

  private:
    PolicyCounts* policy_for(const std::string& domain, PolicyCounts&& policy);

    std::map<std::string, std::vector<PolicyCounts>> domains_;
    std::uint64_t dropped_ = 0;
};

}  // namespace herald::tlsrpt
