#include "delivery/destination.hpp"

#include <boost/asio/ip/address.hpp>

#include <algorithm>

namespace herald::delivery {

namespace {

using Status = Destination::Status;

bool starts_with_ignoring_case(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), s.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) ==
                      std::tolower(static_cast<unsigned char>(b));
           });
}

// Why a lookup failed, for the deferral reason.
std::string failure_of(const auto& answer) {
    if (!answer.why.empty()) return answer.why;
    switch (answer.status) {
        case dns::Status::servfail:
            return "SERVFAIL";
        case dns::Status::timeout:
            return "timeout";
        default:
            return "resolver error";
    }
}

Destination failed(std::string reason) {
    return {Status::failed, {}, std::move(reason)};
}

Destination deferred(std::string reason) {
    return {Status::deferred, {}, std::move(reason)};
}

std::string without_trailing_dot(std::string_view name) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    return std::string(name);
}

}  // namespace

std::string ip_of_literal(std::string_view text, bool bare_ip_allowed) {
    boost::system::error_code ec;
    if (text.size() > 2 && text.front() == '[' && text.back() == ']') {
        std::string_view inner = text.substr(1, text.size() - 2);
        // RFC 5321 4.1.3: "IPv6:" tags an IPv6 literal; an untagged one is IPv4.
        const bool v6 = starts_with_ignoring_case(inner, "IPv6:");
        if (v6) inner.remove_prefix(5);
        const auto address = boost::asio::ip::make_address(std::string(inner), ec);
        if (ec || address.is_v6() != v6) return "";
        return address.to_string();
    }
    if (!bare_ip_allowed) return "";
    const auto address = boost::asio::ip::make_address(std::string(text), ec);
    return ec ? "" : address.to_string();
}

DestinationResolver::DestinationResolver(dns::Resolver& resolver, std::uint32_t seed)
    : resolver_(resolver), random_(seed) {}

boost::asio::awaitable<Destination> DestinationResolver::for_domain(std::string_view domain_text) {
    const std::string domain = without_trailing_dot(domain_text);
    if (domain.starts_with('[')) {
        std::string ip = ip_of_literal(domain, false);
        if (ip.empty()) co_return failed("501 5.1.2 Bad address literal " + domain);
        co_return Destination{Status::ok, {{domain, {std::move(ip)}}}, ""};
    }
    if (domain.empty()) co_return failed("501 5.1.2 Recipient address has no domain");
    auto mx = co_await resolver_.mx(domain);
    switch (mx.status) {
        case dns::Status::ok:
            co_return co_await from_mx(domain, mx);
        case dns::Status::nodata:
            co_return co_await implicit_mx(domain);
        case dns::Status::nxdomain:
            co_return failed("550 5.1.2 Domain " + domain + " does not exist");
        default:
            co_return deferred("451 4.4.3 MX lookup for " + domain + " failed: " + failure_of(mx));
    }
}

boost::asio::awaitable<Destination> DestinationResolver::from_mx(
    std::string_view domain, const dns::Answer<dns::MxRecord>& answer) {
    std::vector<dns::MxRecord> records = answer.records;
    // RFC 7505 3: a null MX ("0 .") says the domain accepts no mail. It must stand alone;
    // beside real MX records it is ignored.
    std::erase_if(records, [](const dns::MxRecord& r) { return r.host.empty() || r.host == "."; });
    if (records.empty()) {
        co_return failed("556 5.1.10 Domain " + std::string(domain) +
                         " accepts no mail (null MX, RFC 7505)");
    }
    order(records);
    Destination destination{Status::ok, {}, ""};
    std::string problems;
    for (const auto& record : records) {
        const std::string host = without_trailing_dot(record.host);
        Addresses addresses = co_await addresses_of(host);
        // RFC 5321 5.1: a host without an address is skipped, the next one tried.
        if (addresses.list.empty()) {
            problems += (problems.empty() ? "" : "; ") + host + ": " + addresses.why;
            continue;
        }
        destination.hosts.push_back(
            {host, std::move(addresses.list), answer.secure && addresses.secure});
    }
    if (destination.hosts.empty()) {
        co_return deferred("451 4.4.4 No MX host of " + std::string(domain) + " has an address (" +
                           problems + ")");
    }
    co_return destination;
}

boost::asio::awaitable<Destination> DestinationResolver::implicit_mx(std::string_view domain) {
    // RFC 5321 5.1: no MX records: the domain itself is the only host, with preference 0.
    Addresses addresses = co_await addresses_of(domain);
    if (!addresses.list.empty()) {
        co_return Destination{
            Status::ok, {{std::string(domain), std::move(addresses.list), addresses.secure}}, ""};
    }
    if (addresses.temporary_failure) {
        co_return deferred("451 4.4.3 Address lookup for " + std::string(domain) +
                           " failed: " + addresses.why);
    }
    co_return failed("550 5.1.2 Domain " + std::string(domain) + " has no MX and no address");
}

boost::asio::awaitable<Destination> DestinationResolver::for_host(std::string_view host_text) {
    const std::string host = without_trailing_dot(host_text);
    if (std::string ip = ip_of_literal(host, true); !ip.empty()) {
        co_return Destination{Status::ok, {{host, {std::move(ip)}}}, ""};
    }
    Addresses addresses = co_await addresses_of(host);
    if (addresses.list.empty()) {
        co_return deferred("451 4.4.4 Host " + host + " has no address: " + addresses.why);
    }
    co_return Destination{Status::ok, {{host, std::move(addresses.list)}}, ""};
}

// IPv4 first, then IPv6: both are tried, and a host without IPv6 routes fails over at once.
boost::asio::awaitable<DestinationResolver::Addresses> DestinationResolver::addresses_of(
    std::string_view name) {
    Addresses addresses;
    auto v4 = co_await resolver_.a(name);
    auto v6 = co_await resolver_.aaaa(name);
    addresses.secure = (v4.ok() || v6.ok()) && (v4.secure || !v4.ok()) && (v6.secure || !v6.ok());
    for (const auto* answer : {&v4, &v6}) {
        if (answer->ok()) {
            addresses.list.insert(addresses.list.end(), answer->records.begin(),
                                  answer->records.end());
        } else if (answer->temporary() || answer->status == dns::Status::error) {
            addresses.temporary_failure = true;
            addresses.why = "lookup failed: " + failure_of(*answer);
        }
    }
    if (addresses.why.empty()) {
        addresses.why = v4.status == dns::Status::nxdomain ? "no such host" : "no A or AAAA record";
    }
    co_return addresses;
}

// RFC 5321 5.1: lowest preference first; equal preferences in random order, spreading load.
void DestinationResolver::order(std::vector<dns::MxRecord>& records) {
    std::stable_sort(records.begin(), records.end(),
                     [](const auto& a, const auto& b) { return a.preference < b.preference; });
    auto start = records.begin();
    while (start != records.end()) {
        auto end = std::find_if(start, records.end(),
                                [&](const auto& r) { return r.preference != start->preference; });
        std::shuffle(start, end, random_);
        start = end;
    }
}

}  // namespace herald::delivery
