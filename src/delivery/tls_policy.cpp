#include "delivery/tls_policy.hpp"

#include <algorithm>

#include "base/ascii_case.hpp"

namespace herald::delivery {

namespace {

std::string_view without_dot(std::string_view name) {
    if (name.ends_with('.')) name.remove_suffix(1);
    return name;
}

}  // namespace

bool mx_pattern_matches(std::string_view pattern, std::string_view mx_host) {
    pattern = without_dot(pattern);
    mx_host = without_dot(mx_host);
    if (pattern.starts_with("*.")) {
        const auto dot = mx_host.find('.');
        if (dot == std::string_view::npos || dot == 0) return false;
        return equals_ignoring_case(mx_host.substr(dot + 1), pattern.substr(2));
    }
    return equals_ignoring_case(pattern, mx_host);
}

bool TlsPolicy::names(std::string_view mx_host) const {
    return std::any_of(mx_patterns.begin(), mx_patterns.end(),
                       [&](const std::string& p) { return mx_pattern_matches(p, mx_host); });
}

bool TlsPolicy::allows(std::string_view mx_host) const {
    return !enforced() || names(mx_host);
}

std::string_view TlsPolicy::label() const {
    switch (kind) {
        case Kind::opportunistic:
            return "opportunistic";
        case Kind::sts_testing:
            return "sts-testing";
        case Kind::sts_enforce:
            return "sts";
    }
    return "opportunistic";
}

}  // namespace herald::delivery
