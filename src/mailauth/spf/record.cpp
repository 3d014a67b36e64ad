#include "mailauth/spf/record.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "base/ascii_case.hpp"
#include "mailauth/spf/macro.hpp"

namespace herald::mailauth::spf {
namespace {

constexpr std::string_view kVersion = "v=spf1";

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return ascii_lower(x) == ascii_lower(y);
           });
}

bool all_digits(std::string_view text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Error error_in(std::string_view term, std::string_view what) {
    return Error{"'" + std::string(term) + "': " + std::string(what)};
}

// ip4-cidr-length / ip6-cidr-length (5.6): digits without a leading zero, at most `max`.
std::optional<unsigned> parse_cidr(std::string_view digits, unsigned max) {
    if (!all_digits(digits) || digits.size() > 3 || (digits.size() > 1 && digits[0] == '0')) {
        return std::nullopt;
    }
    unsigned value = 0;
    for (const char c : digits) value = value * 10 + static_cast<unsigned>(c - '0');
    if (value > max) return std::nullopt;
    return value;
}

// Takes a trailing "/digits" off `rest` (the one after a "/" too when `double_slash`).
std::optional<std::string_view> take_cidr_suffix(std::string_view& rest, bool double_slash) {
    const auto slash = rest.rfind('/');
    if (slash == std::string_view::npos || !all_digits(rest.substr(slash + 1))) return std::nullopt;
    const bool is_double = slash > 0 && rest[slash - 1] == '/';
    if (is_double != double_slash) return std::nullopt;
    const std::string_view digits = rest.substr(slash + 1);
    rest = rest.substr(0, double_slash ? slash - 1 : slash);
    return digits;
}

// [ ":" domain-spec ] for a, mx, ptr; ":" domain-spec for include, exists.
Status parse_target(Mechanism& mechanism, std::string_view rest, bool required) {
    if (rest.empty()) {
        return required ? Status(Error{"a domain is required"}) : ok_status();
    }
    if (rest[0] != ':') return Error{"unexpected text after the mechanism name"};
    mechanism.domain_spec = std::string(rest.substr(1));
    return check_domain_spec(mechanism.domain_spec);
}

// a and mx: [ ":" domain-spec ] [ ip4-cidr-length ] [ "/" ip6-cidr-length ]
Status parse_dual_cidr(Mechanism& mechanism, std::string_view rest) {
    if (auto v6 = take_cidr_suffix(rest, true)) {
        auto value = parse_cidr(*v6, 128);
        if (!value) return Error{"bad IPv6 prefix length"};
        mechanism.cidr6 = *value;
    }
    if (auto v4 = take_cidr_suffix(rest, false)) {
        auto value = parse_cidr(*v4, 32);
        if (!value) return Error{"bad IPv4 prefix length"};
        mechanism.cidr4 = *value;
    }
    return parse_target(mechanism, rest, false);
}

// ip4 ":" ip4-network [ ip4-cidr-length ], ip6 alike.
Status parse_network(Mechanism& mechanism, std::string_view rest, bool v6) {
    if (rest.empty() || rest[0] != ':') return Error{"an address is required"};
    rest.remove_prefix(1);
    const auto slash = rest.find('/');
    const std::string_view address = rest.substr(0, slash);
    mechanism.network = v6 ? IpAddress::parse_ip6(address) : IpAddress::parse_ip4(address);
    if (!mechanism.network) return Error{v6 ? "bad IPv6 address" : "bad IPv4 address"};
    if (slash == std::string_view::npos) return ok_status();
    auto value = parse_cidr(rest.substr(slash + 1), v6 ? 128 : 32);
    if (!value) return Error{"bad prefix length"};
    (v6 ? mechanism.cidr6 : mechanism.cidr4) = *value;
    return ok_status();
}

Result<Mechanism> parse_mechanism(std::string_view term) {
    Mechanism mechanism;
    mechanism.text = std::string(term);
    std::string_view body = term;
    static constexpr std::string_view qualifiers = "+-~?";
    if (!body.empty() && qualifiers.find(body[0]) != std::string_view::npos) {
        mechanism.qualifier = static_cast<Qualifier>(body[0]);
        body.remove_prefix(1);
    }
    const auto name_end = std::min(body.find(':'), body.find('/'));
    const std::string_view name = body.substr(0, name_end);
    const std::string_view rest = name_end == std::string_view::npos ? "" : body.substr(name_end);
    static constexpr std::array<std::pair<std::string_view, MechanismKind>, 8> kinds = {{
        {"all", MechanismKind::all},
        {"include", MechanismKind::include},
        {"a", MechanismKind::a},
        {"mx", MechanismKind::mx},
        {"ptr", MechanismKind::ptr},
        {"ip4", MechanismKind::ip4},
        {"ip6", MechanismKind::ip6},
        {"exists", MechanismKind::exists},
    }};
    const auto kind =
        std::ranges::find_if(kinds, [&](const auto& k) { return iequals(k.first, name); });
    if (kind == kinds.end()) return error_in(term, "unknown mechanism");
    mechanism.kind = kind->second;
    Status parsed = ok_status();
    switch (mechanism.kind) {
        case MechanismKind::all:
            if (!rest.empty()) parsed = Error{"'all' takes no argument"};
            break;
        case MechanismKind::include:
        case MechanismKind::exists:
            parsed = parse_target(mechanism, rest, true);
            break;
        case MechanismKind::ptr:
            parsed = parse_target(mechanism, rest, false);
            break;
        case MechanismKind::a:
        case MechanismKind::mx:
            parsed = parse_dual_cidr(mechanism, rest);
            break;
        case MechanismKind::ip4:
            parsed = parse_network(mechanism, rest, false);
            break;
        case MechanismKind::ip6:
            parsed = parse_network(mechanism, rest, true);
            break;
    }
    if (!parsed) return error_in(term, parsed.error());
    return mechanism;
}

// name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ) (4.6.1)
bool is_modifier_name(std::string_view name) {
    auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    return !name.empty() && alpha(name[0]) && std::all_of(name.begin(), name.end(), [&](char c) {
        return alpha(c) || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    });
}

Status add_modifier(Record& record, std::string_view term, std::size_t equals) {
    const std::string_view name = term.substr(0, equals);
    const std::string_view value = term.substr(equals + 1);
    if (!is_modifier_name(name)) return error_in(term, "bad modifier name");
    const bool redirect = iequals(name, "redirect");
    if (redirect || iequals(name, "exp")) {
        // 6: these MUST NOT appear more than once.
        std::string& slot = redirect ? record.redirect : record.explanation;
        if (!slot.empty()) return error_in(term, "modifier given twice");
        if (auto checked = check_domain_spec(value); !checked)
            return error_in(term, checked.error());
        slot = std::string(value);
        return ok_status();
    }
    // Unknown modifiers are ignored (6), once their macro-string is valid (A).
    if (auto checked = check_macro_string(value, MacroUse::explanation); !checked) {
        return error_in(term, checked.error());
    }
    return ok_status();
}

}  // namespace

bool Mechanism::counts_lookup() const {
    switch (kind) {
        case MechanismKind::include:
        case MechanismKind::a:
        case MechanismKind::mx:
        case MechanismKind::ptr:
        case MechanismKind::exists:
            return true;
        default:
            return false;
    }
}

bool is_spf_record(std::string_view text) {
    return text.size() >= kVersion.size() && iequals(text.substr(0, kVersion.size()), kVersion) &&
           (text.size() == kVersion.size() || text[kVersion.size()] == ' ');
}

Result<Record> Record::parse(std::string_view text) {
    if (!is_spf_record(text)) return Error{"not an SPF record (no v=spf1)"};
    // 3.1, 4.6.1: printable US-ASCII, terms separated by spaces only.
    if (std::any_of(text.begin(), text.end(), [](char c) { return c < 0x20 || c > 0x7e; })) {
        return Error{"record contains a character that is not printable ASCII"};
    }
    Record record;
    std::string_view rest = text.substr(kVersion.size());
    while (!rest.empty()) {
        const auto space = rest.find(' ');
        const std::string_view term = rest.substr(0, space);
        rest = space == std::string_view::npos ? "" : rest.substr(space + 1);
        if (term.empty()) continue;
        // A modifier has '=' right after its name, before any ':' or '/' (4.6.1).
        const auto equals = term.find_first_of("=:/");
        if (equals != std::string_view::npos && term[equals] == '=') {
            if (auto added = add_modifier(record, term, equals); !added)
                return Error{added.error()};
            continue;
        }
        auto mechanism = parse_mechanism(term);
        if (!mechanism) return Error{mechanism.error()};
        record.mechanisms.push_back(std::move(*mechanism));
    }
    return record;
}

}  // namespace herald::mailauth::spf
