#pragma once
// DNS as Herald needs it: MX, A/AAAA, TXT, PTR and TLSA, each answer telling apart
// NXDOMAIN, no data, SERVFAIL and timeout, because RFC 5321 (implicit MX), RFC 7208 (SPF
// temperror vs none) and RFC 7489 treat them differently. Implementations: the network
// resolver (libunbound) and the fixture resolver (YAML, for conformance and what-if runs).
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace herald::dns {

enum class Status {
    ok,        // records present
    nxdomain,  // the name does not exist
    nodata,    // the name exists, no record of this type
    servfail,  // the server failed (or DNSSEC validation failed: bogus)
    timeout,   // no answer in time
    error,     // malformed query or answer, resolver not usable
};
std::string_view to_string(Status status);

// How long a result that a resolution failure (SERVFAIL, timeout) made is kept by those who
// keep results, instead of being asked again by the next message. RFC 9520 3.2: at least 1 s,
// at most 5 minutes. While DNS is down, a stream of mail would otherwise start lookups
// faster than they fail, and hold each until it does.
inline constexpr std::chrono::seconds kResolutionFailureKept{30};

// A name without the dot of its absolute form: "mx.example.com." -> "mx.example.com".
inline std::string_view without_root_dot(std::string_view name) {
    return name.ends_with('.') ? name.substr(0, name.size() - 1) : name;
}

struct MxRecord {
    std::uint16_t preference = 0;
    std::string host;  // without the trailing dot; "" for the null MX "." (RFC 7505)
};

// RFC 6698 2.1: how a server's certificate is pinned. `data` is the certificate, its public
// key, or their SHA-256 or SHA-512 digest, as raw bytes.
struct TlsaRecord {
    std::uint8_t usage = 0;          // 2: DANE-TA, 3: DANE-EE (0 and 1 are not for SMTP, RFC 7672)
    std::uint8_t selector = 0;       // 0: the whole certificate, 1: its SubjectPublicKeyInfo
    std::uint8_t matching_type = 0;  // 0: exact, 1: SHA-256, 2: SHA-512
    std::string data;

    bool operator==(const TlsaRecord&) const = default;
};

template <typename T>
struct Answer {
    Status status = Status::error;
    std::vector<T> records;
    std::uint32_t ttl = 0;       // seconds, the smallest TTL of the records
    bool secure = false;         // DNSSEC-validated (needed for DANE)
    std::string canonical_name;  // after CNAMEs, when the resolver followed any
    std::string why;             // for logs: what went wrong

    bool ok() const { return status == Status::ok; }
    // A temporary failure: try again later (SPF temperror, SMTP deferral).
    bool temporary() const { return status == Status::servfail || status == Status::timeout; }
};

class Resolver {
  public:
    virtual ~Resolver() = default;
    virtual boost::asio::awaitable<Answer<MxRecord>> mx(std::string_view name) = 0;
    virtual boost::asio::awaitable<Answer<std::string>> a(std::string_view name) = 0;  // IPv4 text
    virtual boost::asio::awaitable<Answer<std::string>> aaaa(
        std::string_view name) = 0;  // IPv6 text
    // Each record's character-strings joined without separator (RFC 7208 3.3).
    virtual boost::asio::awaitable<Answer<std::string>> txt(std::string_view name) = 0;
    // The names for an IP address (the reverse name is built here, v4 and v6).
    virtual boost::asio::awaitable<Answer<std::string>> ptr(std::string_view ip) = 0;
    // The TLSA records at `name` ("_25._tcp.mx.example.com").
    virtual boost::asio::awaitable<Answer<TlsaRecord>> tlsa(std::string_view name) = 0;
};

}  // namespace herald::dns
