#include "mailauth/fcrdns.hpp"

#include <algorithm>

#include "mailauth/spf/ip_address.hpp"

namespace herald::mailauth {

namespace {

constexpr std::size_t kMaxNames = 10;

boost::asio::awaitable<dns::Answer<std::string>> forward(dns::Resolver& resolver,
                                                         const std::string& name, bool v4) {
    if (v4) co_return co_await resolver.a(name);
    co_return co_await resolver.aaaa(name);
}

// Addresses are compared parsed, so that "2001:db8::1" equals "2001:0db8:0:0::1".
bool contains(const std::vector<std::string>& records, const spf::IpAddress& address) {
    return std::any_of(records.begin(), records.end(), [&](const std::string& record) {
        auto parsed = spf::IpAddress::parse(record);
        return parsed && *parsed == address;
    });
}

}  // namespace

boost::asio::awaitable<ReverseDns> check_reverse_dns(dns::Resolver& resolver,
                                                     const std::string& ip) {
    using Status = ReverseDns::Status;
    ReverseDns result;
    const auto address = spf::IpAddress::parse(ip);
    if (!address) {
        result.status = Status::invalid;
        result.detail = "'" + ip + "' is not an IP address";
        co_return result;
    }
    auto ptr = co_await resolver.ptr(ip);
    if (ptr.temporary()) {
        result.status = Status::temperror;
        result.detail = "PTR lookup of " + ip + ": " + std::string(dns::to_string(ptr.status));
        co_return result;
    }
    if (!ptr.ok() || ptr.records.empty()) {
        result.detail = "no PTR record for " + ip;
        co_return result;
    }
    result.names = ptr.records;
    bool failed_lookup = false;
    for (std::size_t i = 0; i < result.names.size() && i < kMaxNames; ++i) {
        const std::string& name = result.names[i];
        auto addresses = co_await forward(resolver, name, address->is_v4());
        failed_lookup = failed_lookup || addresses.temporary();
        if (addresses.ok() && contains(addresses.records, *address)) {
            result.status = Status::pass;
            result.confirmed = name;
            result.detail = ip + " -> " + name + " -> " + ip;
            co_return result;
        }
    }
    result.status = failed_lookup ? Status::temperror : Status::mismatch;
    result.detail = ip + " -> " + result.names.front() + ", which does not resolve back to " + ip;
    co_return result;
}

}  // namespace herald::mailauth
