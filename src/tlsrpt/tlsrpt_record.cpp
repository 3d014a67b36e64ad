#include "tlsrpt/tlsrpt_record.hpp"

#include "base/ascii_case.hpp"
#include "base/trimmed.hpp"

namespace herald::tlsrpt {

namespace {

constexpr std::string_view kVersion = "v=TLSRPTv1";

// "%2C" and "%3B" stand for the comma and semicolon a URI may not carry bare (RFC 8460 3).
std::string percent_decoded(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (const auto octet = text[i] == '%' ? hex_octet(text, i + 1) : std::nullopt) {
            out += *octet;
            i += 2;
            continue;
        }
        out += text[i];
    }
    return out;
}

void add_destination(std::string_view uri, std::vector<ReportDestination>& out) {
    uri = trimmed(uri);
    if (starts_with_ignoring_case(uri, "mailto:")) {
        std::string_view address = uri.substr(7);
        address = address.substr(0, address.find('?'));  // no header fields for us
        if (address.find('@') != std::string_view::npos) {
            out.push_back({ReportDestination::Kind::mail, percent_decoded(address)});
        }
    } else if (starts_with_ignoring_case(uri, "https://")) {
        out.push_back({ReportDestination::Kind::https, percent_decoded(uri)});
    }
}

Result<std::vector<ReportDestination>> parse_record(std::string_view record) {
    std::vector<ReportDestination> out;
    bool rua_given = false;
    std::size_t at = 0;
    while (at <= record.size()) {
        std::size_t end = record.find(';', at);
        if (end == std::string_view::npos) end = record.size();
        const std::string_view field = trimmed(record.substr(at, end - at));
        at = end + 1;
        const auto equals = field.find('=');
        if (equals == std::string_view::npos) continue;
        if (!equals_ignoring_case(trimmed(field.substr(0, equals)), "rua")) continue;
        rua_given = true;
        std::string_view uris = field.substr(equals + 1);
        std::size_t from = 0;
        while (from <= uris.size()) {
            std::size_t comma = uris.find(',', from);
            if (comma == std::string_view::npos) comma = uris.size();
            add_destination(uris.substr(from, comma - from), out);
            from = comma + 1;
        }
    }
    if (!rua_given) return Error{"the TLSRPT record has no rua"};
    if (out.empty()) return Error{"the TLSRPT record's rua has no mailto: or https: URI"};
    return out;
}

}  // namespace

Result<std::vector<ReportDestination>> find_report_destinations(
    const std::vector<std::string>& txt) {
    const std::string* found = nullptr;
    for (const auto& text : txt) {
        const std::string_view view = trimmed(text);
        // The version is exact, and is followed by the end or a separator.
        if (!view.starts_with(kVersion)) continue;
        const std::string_view rest = trimmed(view.substr(kVersion.size()));
        if (!rest.empty() && rest.front() != ';') continue;
        if (found) return Error{"more than one TLSRPT record"};
        found = &text;
    }
    if (!found) return Error{"no TLSRPT record"};
    return parse_record(trimmed(*found).substr(kVersion.size()));
}

}  // namespace herald::tlsrpt
