#pragma once
// What TLS came to on one connection to an MX host, under the recipient domain's policy: the
// unit that SMTP TLS Reporting counts (RFC 8460 4.3). The smtp transport says it; tlsrpt/
// adds it up and reports it to the domain.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald::delivery {

// RFC 8460 4.3: why a session failed its policy.
enum class TlsFailure {
    starttls_not_supported,
    certificate_host_mismatch,
    certificate_expired,
    certificate_not_trusted,
    validation_failure,      // any other failure to negotiate or validate
    tlsa_invalid,            // DANE: secure TLSA records, none usable
    dnssec_invalid,          // DANE: the TLSA lookup was bogus or failed
    sts_policy_fetch_error,  // MTA-STS: the published policy could not be fetched
    sts_policy_invalid,      // it did not parse
    sts_webpki_invalid,      // its host's certificate did not verify
};

// The report's "result-type": "starttls-not-supported", ...
std::string_view result_type(TlsFailure failure);
// What an OpenSSL certificate verification error (X509_V_ERR_*) counts as.
TlsFailure failure_of_certificate_error(long error);

struct TlsSession {
    // RFC 8460 4.3 "policy-type": "no-policy-found", "sts", "tlsa".
    enum class Policy { none, sts, tlsa };
    std::string domain;  // the policy domain: the recipient domain
    Policy policy = Policy::none;
    std::vector<std::string> policy_strings;  // sts: the policy's lines; tlsa: the records
    std::vector<std::string> mx_hosts;        // sts: its mx patterns; tlsa: the MX host
    std::optional<TlsFailure> failure;        // none: a successful session
    std::string sending_ip;                   // failures: where Herald connected from
    std::string receiving_mx;                 // failures: the MX host's name
    std::string receiving_ip;                 // failures: its address
};

std::string_view policy_type(TlsSession::Policy policy);

using TlsSessionSink = std::function<void(const TlsSession&)>;

}  // namespace herald::delivery
