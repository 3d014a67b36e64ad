#include "mailauth/dnsbl.hpp"

#include <algorithm>

#include "base/ascii_case.hpp"
#include "mailauth/spf/ip_address.hpp"

namespace herald::mailauth::dnsbl {

namespace {

// The reason the list gives, from the TXT record beside the A record; many lists publish one
// with the URL where the listing is explained.
boost::asio::awaitable<std::string> listing_text(dns::Resolver& resolver, const std::string& name) {
    auto answer = co_await resolver.txt(name);
    if (!answer.ok() || answer.records.empty()) co_return std::string();
    co_return answer.records.front();
}

boost::asio::awaitable<Listing> lookup(dns::Resolver& resolver, const std::string& query,
                                       const std::string& zone) {
    Listing listing{.zone = zone, .query = query};
    auto answer = co_await resolver.a(listing.query);
    listing.verdict = interpret(answer);
    listing.answers = answer.records;
    switch (listing.verdict) {
        case Verdict::listed:
            listing.reason = co_await listing_text(resolver, listing.query);
            break;
        case Verdict::refused:
            listing.reason = "the list refused the query (answer " + answer.records.front() +
                             "): it does not answer this resolver; use your own resolver, "
                             "not a public one";
            break;
        case Verdict::error:
            listing.reason = answer.ok() ? "unexpected answer " + answer.records.front() +
                                               " (not in 127.0.0.0/8): is the resolver "
                                               "rewriting NXDOMAIN?"
                                         : std::string(dns::to_string(answer.status));
            break;
        case Verdict::not_listed:
            break;
    }
    co_return listing;
}

}  // namespace

std::string_view to_string(Verdict verdict) {
    switch (verdict) {
        case Verdict::listed:
            return "listed";
        case Verdict::not_listed:
            return "not listed";
        case Verdict::refused:
            return "refused";
        case Verdict::error:
            return "error";
    }
    return "error";
}

std::optional<std::string> ip_query_name(std::string_view ip, std::string_view zone) {
    auto address = spf::IpAddress::parse(ip);
    if (!address) return std::nullopt;
    // dotted() is the address in label order (octets or nibbles, upper-case hex as SPF's
    // macros want); the query is its reverse, in the lower case of RFC 5782 2.4.
    const std::string forward = ascii_lowercase(address->dotted());
    std::vector<std::string_view> labels;
    for (std::size_t start = 0; start <= forward.size();) {
        const std::size_t dot = std::min(forward.find('.', start), forward.size());
        labels.push_back(std::string_view(forward).substr(start, dot - start));
        start = dot + 1;
    }
    std::string name;
    for (auto label = labels.rbegin(); label != labels.rend(); ++label) {
        name.append(*label).push_back('.');
    }
    return name.append(zone);
}

Verdict interpret(const dns::Answer<std::string>& answer) {
    if (answer.status == dns::Status::nxdomain || answer.status == dns::Status::nodata) {
        return Verdict::not_listed;
    }
    if (!answer.ok() || answer.records.empty()) return Verdict::error;
    bool refused = false;
    for (const auto& record : answer.records) {
        if (!record.starts_with("127.")) return Verdict::error;
        if (record.starts_with("127.255.255.")) refused = true;
    }
    return refused ? Verdict::refused : Verdict::listed;
}

boost::asio::awaitable<Listing> lookup_ip(dns::Resolver& resolver, const std::string& ip,
                                          const std::string& zone) {
    auto name = ip_query_name(ip, zone);
    if (!name) {
        co_return Listing{
            .verdict = Verdict::error, .zone = zone, .reason = "'" + ip + "' is not an IP address"};
    }
    co_return co_await lookup(resolver, *name, zone);
}

boost::asio::awaitable<Listing> lookup_domain(dns::Resolver& resolver, const std::string& domain,
                                              const std::string& zone) {
    const std::string name = domain + "." + zone;
    co_return co_await lookup(resolver, name, zone);
}

}  // namespace herald::mailauth::dnsbl
