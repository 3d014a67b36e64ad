#include "tlspolicy/mta_sts_policy.hpp"

#include <algorithm>
#include <charconv>
#include <map>

#include "base/ascii_case.hpp"
#include "base/trimmed.hpp"

namespace herald::tlspolicy {

namespace {

constexpr std::int64_t kMaxAge = 31557600;

// A host name, or "*." and one: letters, digits, '-' and dots between non-empty labels.
bool is_mx_pattern(std::string_view pattern) {
    if (pattern.starts_with("*.")) pattern.remove_prefix(2);
    if (pattern.empty() || pattern.size() > 253 || pattern.front() == '.' ||
        pattern.back() == '.' || pattern.find("..") != std::string_view::npos) {
        return false;
    }
    return std::all_of(pattern.begin(), pattern.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '.' || c == '_';
    });
}

Result<MtaStsPolicy::Mode> read_mode(std::string_view value) {
    if (value == "enforce") return MtaStsPolicy::Mode::enforce;
    if (value == "testing") return MtaStsPolicy::Mode::testing;
    if (value == "none") return MtaStsPolicy::Mode::none;
    return Error{"mode '" + std::string(value) + "' is not enforce, testing or none"};
}

Result<std::int64_t> read_max_age(std::string_view value) {
    std::int64_t age = -1;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), age);
    if (ec != std::errc{} || end != value.data() + value.size() || age < 0 || value.size() > 10 ||
        age > kMaxAge) {
        return Error{"max_age '" + std::string(value) + "' is not 0-31557600 seconds"};
    }
    return age;
}

}  // namespace

std::string_view to_string(MtaStsPolicy::Mode mode) {
    switch (mode) {
        case MtaStsPolicy::Mode::enforce:
            return "enforce";
        case MtaStsPolicy::Mode::testing:
            return "testing";
        case MtaStsPolicy::Mode::none:
            return "none";
    }
    return "none";
}

Result<MtaStsPolicy> parse_mta_sts_policy(std::string_view text) {
    MtaStsPolicy policy;
    std::map<std::string, std::string, std::less<>> first;  // of each key but mx
    while (!text.empty()) {
        const auto newline = text.find('\n');
        const auto line = trimmed(text.substr(0, newline));
        text = newline == std::string_view::npos ? "" : text.substr(newline + 1);
        if (line.empty()) continue;
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) {
            return Error{"a line without ':': " + std::string(line.substr(0, 80))};
        }
        const std::string key(trimmed(line.substr(0, colon)));
        const auto value = trimmed(line.substr(colon + 1));
        if (key == "mx") {
            if (!is_mx_pattern(value))
                return Error{"mx '" + std::string(value.substr(0, 80)) + "' is not a host name"};
            policy.mx.push_back(ascii_lowercase(value));
        } else {
            first.try_emplace(key, value);
        }
    }
    const auto version = first.find("version");
    if (version == first.end() || version->second != "STSv1") return Error{"no version: STSv1"};
    const auto mode = first.find("mode");
    if (mode == first.end()) return Error{"no mode"};
    auto read = read_mode(mode->second);
    if (!read) return Error{read.error()};
    policy.mode = *read;
    const auto age = first.find("max_age");
    if (age == first.end()) return Error{"no max_age"};
    auto max_age = read_max_age(age->second);
    if (!max_age) return Error{max_age.error()};
    policy.max_age = *max_age;
    if (policy.mx.empty() && policy.mode != MtaStsPolicy::Mode::none) return Error{"no mx"};
    return policy;
}

std::string MtaStsPolicy::text() const {
    std::string out = "version: STSv1\nmode: " + std::string(to_string(mode)) + "\n";
    for (const auto& pattern : mx) out += "mx: " + pattern + "\n";
    return out + "max_age: " + std::to_string(max_age) + "\n";
}

delivery::TlsPolicy MtaStsPolicy::as_tls_policy() const {
    delivery::TlsPolicy out;
    if (mode == Mode::none) return out;
    out.kind = mode == Mode::enforce ? delivery::TlsPolicy::Kind::sts_enforce
                                     : delivery::TlsPolicy::Kind::sts_testing;
    out.mx_patterns = mx;
    const std::string lines = text();
    for (std::size_t at = 0, end; (end = lines.find('\n', at)) != std::string::npos; at = end + 1) {
        out.policy_strings.push_back(lines.substr(at, end - at));
    }
    return out;
}

}  // namespace herald::tlspolicy
