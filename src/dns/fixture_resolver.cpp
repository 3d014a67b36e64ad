#include "dns/fixture_resolver.hpp"

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <charconv>

#include "base/ascii_case.hpp"
#include "dns/reverse_name.hpp"

namespace herald::dns {
namespace {

constexpr std::uint32_t fixture_ttl = 300;

std::string canonical(std::string_view name) {
    if (name.ends_with('.')) name.remove_suffix(1);
    std::string lower(name);
    std::ranges::transform(lower, lower.begin(), [](unsigned char c) {
        return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    });
    return lower;
}

Error error_at(const YAML::Mark& mark, std::string_view source, std::string_view what) {
    std::string where(source);
    if (!mark.is_null()) where += ":" + std::to_string(mark.line + 1);
    return Error{where + ": " + std::string(what)};
}

// An address in the resolver's own spelling (inet_ntop), so that fixtures and the network
// answer alike: "CAFE:BABE::1" becomes "cafe:babe::1".
std::optional<std::string> normalised_address(const std::string& text, int family) {
    std::array<unsigned char, 16> bytes{};
    char out[INET6_ADDRSTRLEN] = {};
    if (::inet_pton(family, text.c_str(), bytes.data()) != 1) return std::nullopt;
    if (!::inet_ntop(family, bytes.data(), out, sizeof out)) return std::nullopt;
    return std::string(out);
}

// A TXT or SPF value: one string, or a list of character-strings joined (RFC 7208 3.3).
std::optional<std::string> text_of(const YAML::Node& value) {
    if (value.IsNull()) return std::string();
    if (value.IsScalar()) return value.Scalar();
    if (!value.IsSequence()) return std::nullopt;
    std::string text;
    for (const auto& part : value) {
        if (!part.IsScalar()) return std::nullopt;
        text += part.Scalar();
    }
    return text;
}

std::optional<MxRecord> mx_of(const YAML::Node& value) {
    if (!value.IsSequence() || value.size() != 2 || !value[0].IsScalar() || !value[1].IsScalar()) {
        return std::nullopt;
    }
    const std::string& text = value[0].Scalar();
    std::uint16_t preference = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), preference);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return MxRecord{preference, std::string(without_root_dot(value[1].Scalar()))};
}

std::optional<std::uint8_t> byte_of(const YAML::Node& field) {
    if (!field.IsScalar()) return std::nullopt;
    const std::string& text = field.Scalar();
    std::uint8_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

// [usage, selector, matching type, hex data], as the record's presentation form (RFC 6698 2.2).
std::optional<TlsaRecord> tlsa_of(const YAML::Node& value) {
    if (!value.IsSequence() || value.size() != 4 || !value[3].IsScalar()) return std::nullopt;
    const auto usage = byte_of(value[0]), selector = byte_of(value[1]), type = byte_of(value[2]);
    const std::string& hex = value[3].Scalar();
    if (!usage || !selector || !type || hex.empty() || hex.size() % 2 != 0) return std::nullopt;
    TlsaRecord record{*usage, *selector, *type, {}};
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        const int high = hex_digit_value(hex[i]), low = hex_digit_value(hex[i + 1]);
        if (high < 0 || low < 0) return std::nullopt;
        record.data += static_cast<char>(high * 16 + low);
    }
    return record;
}

}  // namespace

Result<FixtureResolver> FixtureResolver::load(const std::filesystem::path& file) {
    YAML::Node zonedata;
    try {
        zonedata = YAML::LoadFile(file.string());
    } catch (const YAML::BadFile&) {
        return Error{file.string() + ": cannot read the DNS fixture"};
    } catch (const YAML::Exception& e) {
        return error_at(e.mark, file.string(), e.msg);
    }
    return from_yaml(zonedata, file.string());
}

Result<FixtureResolver> FixtureResolver::from_yaml(const YAML::Node& zonedata,
                                                   std::string_view source) {
    FixtureResolver resolver;
    if (!zonedata.IsDefined() || zonedata.IsNull()) return resolver;
    if (!zonedata.IsMap()) {
        return error_at(zonedata.Mark(), source, "expected a map from owner name to records");
    }
    for (const auto& entry : zonedata) {
        const YAML::Node& name = entry.first;
        const YAML::Node& records = entry.second;
        if (!name.IsScalar()) return error_at(name.Mark(), source, "owner name expected");
        if (!records.IsNull() && !records.IsSequence()) {
            return error_at(records.Mark(), source, "expected a list of records");
        }
        Owner& owner = resolver.owners_[canonical(name.Scalar())];
        for (const auto& record : records) {
            if (auto added = add_record(owner, record, source); !added) {
                return Error{added.error()};
            }
        }
    }
    return resolver;
}

Result<Done> FixtureResolver::add_record(Owner& owner, const YAML::Node& record,
                                         std::string_view source) {
    if (record.IsScalar() && record.Scalar() == "TIMEOUT") {
        owner.timeout = true;
        return Done{};
    }
    if (!record.IsMap()) {
        return error_at(record.Mark(), source, "expected a record such as {A: 192.0.2.1}");
    }
    for (const auto& field : record) {
        const YAML::Node& value = field.second;
        const std::string type = field.first.IsScalar() ? field.first.Scalar() : "";
        auto bad = [&](std::string_view what) {
            return error_at(value.Mark(), source, "bad " + type + " record: " + std::string(what));
        };
        static constexpr std::array<std::string_view, 8> known = {"A",   "AAAA", "MX",    "TXT",
                                                                  "SPF", "PTR",  "CNAME", "TLSA"};
        if (std::ranges::find(known, type) == known.end()) {
            return error_at(field.first.Mark(), source, "unknown record type '" + type + "'");
        }
        const bool scalar = value.IsScalar();
        if (scalar && value.Scalar() == "TIMEOUT") {
            owner.timeout_types.push_back(type);
        } else if (type == "A" || type == "AAAA") {
            const auto address =
                scalar ? normalised_address(value.Scalar(), type == "A" ? AF_INET : AF_INET6)
                       : std::nullopt;
            if (!address) return bad("expected an IP address");
            (type == "A" ? owner.a : owner.aaaa).push_back(*address);
        } else if (type == "MX") {
            auto mx = mx_of(value);
            if (!mx) return bad("expected [preference, host]");
            owner.mx.push_back(std::move(*mx));
        } else if (type == "TXT" || type == "SPF") {
            if (type == "TXT") owner.has_txt = true;
            if (type == "TXT" && scalar && value.Scalar() == "NONE") continue;
            auto text = text_of(value);
            if (!text) return bad("expected a string or a list of strings");
            (type == "TXT" ? owner.txt : owner.spf).push_back(std::move(*text));
        } else if (type == "PTR" || type == "CNAME") {
            if (!scalar || value.Scalar().empty()) return bad("expected a name");
            if (type == "PTR") owner.ptr.emplace_back(without_root_dot(value.Scalar()));
            if (type == "CNAME") owner.cname = canonical(value.Scalar());
        } else if (type == "TLSA") {
            auto tlsa = tlsa_of(value);
            if (!tlsa) return bad("expected [usage, selector, matching type, hex data]");
            owner.tlsa.push_back(std::move(*tlsa));
        }
    }
    return Done{};
}

const FixtureResolver::Owner* FixtureResolver::find(std::string_view name) const {
    const auto found = owners_.find(canonical(name));
    return found == owners_.end() ? nullptr : &found->second;
}

template <typename T>
Answer<T> FixtureResolver::answer(std::string_view name, std::string_view type,
                                  Select<T> select) const {
    Answer<T> answer;
    answer.ttl = fixture_ttl;
    const Owner* owner = find(name);
    for (int hop = 0;; ++hop) {
        if (!owner) {
            answer.status = Status::nxdomain;
            return answer;
        }
        const auto& records = select(*owner);
        if (std::ranges::find(owner->timeout_types, type) != owner->timeout_types.end() ||
            (owner->timeout && records.empty())) {
            answer.status = Status::timeout;
            answer.why = "fixture: TIMEOUT";
            return answer;
        }
        if (!records.empty()) {
            answer.status = Status::ok;
            answer.records = records;
            return answer;
        }
        if (owner->cname.empty() || hop == 1) {
            answer.status = Status::nodata;
            return answer;
        }
        answer.canonical_name = owner->cname;
        owner = find(owner->cname);
    }
}

boost::asio::awaitable<Answer<MxRecord>> FixtureResolver::mx(std::string_view name) {
    co_return answer<MxRecord>(
        name, "MX", [](const Owner& o) -> const auto& { return o.mx; });
}

boost::asio::awaitable<Answer<std::string>> FixtureResolver::a(std::string_view name) {
    co_return answer<std::string>(
        name, "A", [](const Owner& o) -> const auto& { return o.a; });
}

boost::asio::awaitable<Answer<std::string>> FixtureResolver::aaaa(std::string_view name) {
    co_return answer<std::string>(
        name, "AAAA", [](const Owner& o) -> const auto& { return o.aaaa; });
}

boost::asio::awaitable<Answer<std::string>> FixtureResolver::txt(std::string_view name) {
    co_return answer<std::string>(
        name, "TXT", [](const Owner& o) -> const auto& { return o.has_txt ? o.txt : o.spf; });
}

boost::asio::awaitable<Answer<std::string>> FixtureResolver::ptr(std::string_view ip) {
    const auto name = reverse_name(ip);
    if (!name) {
        Answer<std::string> answer;
        answer.why = "not an IP address";
        co_return answer;
    }
    co_return answer<std::string>(
        *name, "PTR", [](const Owner& o) -> const auto& { return o.ptr; });
}

boost::asio::awaitable<Answer<TlsaRecord>> FixtureResolver::tlsa(std::string_view name) {
    co_return answer<TlsaRecord>(
        name, "TLSA", [](const Owner& o) -> const auto& { return o.tlsa; });
}

}  // namespace herald::dns
