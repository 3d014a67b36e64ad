#pragma once
// SPF evaluation, RFC 7208 4: check_host(<ip>, <domain>, <sender>) over a dns::Resolver.
//
// Limits that keep a hostile record from costing more than a few queries (4.6.4): at most
// 10 mechanisms and modifiers that query DNS (include, a, mx, ptr, exists, redirect) per
// check, counted through includes and redirects, else permerror; at most 2 of them may get
// an empty answer or NXDOMAIN ("void lookups"), else permerror; at most 10 names of an MX
// answer (permerror beyond) and 10 names of a PTR answer (the rest ignored). An include or
// redirect loop therefore ends at the 11th lookup.
#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "dns/resolver.hpp"

namespace herald::mailauth::spf {

// The results of 2.6.
enum class Outcome { none, neutral, pass, fail, softfail, temperror, permerror };
std::string_view to_string(Outcome outcome);
std::optional<Outcome> outcome_from_string(std::string_view text);

struct CheckResult {
    Outcome outcome = Outcome::none;
    std::string domain;       // whose record decided (the last redirect target)
    std::string mechanism;    // the mechanism that matched, as written; "" when none did
    std::string explanation;  // from exp= (6.2) on fail; "" when there is none
    std::string problem;      // what went wrong, for none, temperror and permerror
};

struct CheckOptions {
    std::string receiver = "unknown";  // the %{r} macro: the host doing the check
};

inline constexpr int kMaxDnsMechanisms = 10;
inline constexpr int kMaxVoidLookups = 2;
inline constexpr std::size_t kMaxMxNames = 10;
inline constexpr std::size_t kMaxPtrNames = 10;

// check_host() of RFC 7208 4. `ip`: the client's address (IPv4-mapped IPv6 is IPv4);
// `sender`: "local@domain" of the identity checked; `helo`: for the %{h} macro.
// The arguments are references, which must outlive the awaiting, as they do in
// `co_await check_host(...)`. Inside a coroutine, pass `options` as a named object: GCC 12
// mislocates a co_await expression's temporaries that own strings (the default argument).
boost::asio::awaitable<CheckResult> check_host(dns::Resolver& resolver, const std::string& ip,
                                               const std::string& domain, const std::string& sender,
                                               const std::string& helo,
                                               const CheckOptions& options = {});

// The MAIL FROM identity (2.4): the reverse-path's domain, "postmaster" for a missing
// local-part (4.3), and postmaster@<helo> for the null reverse-path.
boost::asio::awaitable<CheckResult> check_mail_from(dns::Resolver& resolver, const std::string& ip,
                                                    const std::string& mail_from,
                                                    const std::string& helo,
                                                    const CheckOptions& options = {});

}  // namespace herald::mailauth::spf
