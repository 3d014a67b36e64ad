#include "admin/query_string.hpp"

#include "base/ascii_case.hpp"

namespace herald::admin {

namespace {

std::optional<std::string> decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '+') {
            out.push_back(' ');
        } else if (text[i] != '%') {
            out.push_back(text[i]);
        } else {
            const auto octet = hex_octet(text, i + 1);
            if (!octet) return std::nullopt;
            out.push_back(*octet);
            i += 2;
        }
    }
    return out;
}

}  // namespace

std::optional<QueryString> QueryString::parse(std::string_view query) {
    QueryString out;
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty()) continue;
        const auto equals = pair.find('=');
        auto name = decode(pair.substr(0, equals));
        auto value =
            decode(equals == std::string_view::npos ? std::string_view{} : pair.substr(equals + 1));
        if (!name || !value) return std::nullopt;
        out.pairs_.emplace_back(std::move(*name), std::move(*value));
    }
    return out;
}

std::optional<std::string> QueryString::get(std::string_view name) const {
    for (const auto& [n, v] : pairs_) {
        if (n == name) return v;
    }
    return std::nullopt;
}

}  // namespace herald::admin
