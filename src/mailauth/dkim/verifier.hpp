#pragma once
// Verification of every DKIM-Signature of a message (RFC 6376 6). The evaluation is pure:
// verify_message() takes the message and the TXT answers already fetched; the coroutine
// overload only fetches them through a dns::Resolver first.
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "dns/resolver.hpp"

namespace herald::mailauth::dkim {

enum class Outcome {
    pass,
    fail,       // permanent: bad signature, bad or missing key, syntax, expiry...
    temperror,  // the key could not be fetched now; try later
};
std::string_view to_string(Outcome outcome);

struct VerifyResult {
    Outcome outcome = Outcome::fail;
    std::string reason;  // empty on pass; "body hash mismatch", "key revoked", ...
    std::string domain;
    std::string selector;
    std::string algorithm;  // a= as written
    bool testing = false;   // the key record says t=y

    // "dkim=pass d=example.com s=s1 a=ed25519-sha256", or with "(reason)" after the outcome.
    std::string to_line() const;
};

// The _domainkey TXT answers, by query name (see key_query_name).
struct KeyAnswer {
    dns::Status status = dns::Status::nxdomain;
    std::vector<std::string> records;  // character-strings joined
};
using KeyAnswers = std::map<std::string, KeyAnswer, std::less<>>;

// "<selector>._domainkey.<domain>", lowercased.
std::string key_query_name(std::string_view selector, std::string_view domain);

// Signatures beyond this many are reported, not checked: each costs a DNS query.
inline constexpr std::size_t kMaxSignatures = 8;

// The names to look up for the signatures of `message` (no duplicates).
std::vector<std::string> key_queries(std::string_view message);

// One result per DKIM-Signature field, top to bottom. `now`: seconds since the epoch.
std::vector<VerifyResult> verify_message(std::string_view message, const KeyAnswers& keys,
                                         std::int64_t now);

// Fetches the keys, then verifies. `message` must outlive the coroutine.
boost::asio::awaitable<std::vector<VerifyResult>> verify_message(std::string_view message,
                                                                 dns::Resolver& resolver,
                                                                 std::int64_t now);

}  // namespace herald::mailauth::dkim
