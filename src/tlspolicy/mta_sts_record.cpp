#include "tlspolicy/mta_sts_record.hpp"

#include <algorithm>
#include <string_view>

#include "base/trimmed.hpp"

namespace herald::tlspolicy {

namespace {

constexpr std::string_view kWsp = " \t";

bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// sts-version: "v" *WSP "=" *WSP "STSv1", then a field delimiter or the end.
bool starts_with_version(std::string_view text) {
    const auto semicolon = text.find(';');
    const auto first = text.substr(0, semicolon);
    const auto equals = first.find('=');
    return equals != std::string_view::npos && first.substr(0, equals) == "v" &&
           trimmed(first.substr(equals + 1), kWsp) == "STSv1" && !first.starts_with(' ');
}

Result<MtaStsRecord> read_record(std::string_view text) {
    MtaStsRecord record;
    bool first = true;
    while (!text.empty()) {
        const auto semicolon = text.find(';');
        const auto field = trimmed(text.substr(0, semicolon), kWsp);
        text = semicolon == std::string_view::npos ? "" : text.substr(semicolon + 1);
        if (field.empty()) {
            if (text.empty()) break;  // a trailing delimiter
            return Error{"an empty field"};
        }
        const auto equals = field.find('=');
        if (equals == std::string_view::npos) return Error{"a field without '='"};
        const auto name = trimmed(field.substr(0, equals), kWsp);
        const auto value = trimmed(field.substr(equals + 1), kWsp);
        if (first) {
            first = false;
            continue;  // v=STSv1, checked by the caller
        }
        if (name == "id") {
            if (!record.id.empty()) return Error{"two ids"};
            if (value.empty() || value.size() > 32 ||
                !std::all_of(value.begin(), value.end(), is_alnum)) {
                return Error{"id '" + std::string(value) + "' is not 1-32 letters and digits"};
            }
            record.id = std::string(value);
        } else if (value.empty()) {
            return Error{"field " + std::string(name) + " has no value"};
        }
        // Other fields are extensions (RFC 8461 3.1): passed over.
    }
    if (record.id.empty()) return Error{"no id"};
    return record;
}

}  // namespace

MtaStsLookup find_mta_sts_record(const std::vector<std::string>& txt) {
    std::vector<std::string_view> found;
    for (const auto& text : txt) {
        if (starts_with_version(text)) found.push_back(text);
    }
    if (found.empty()) return {};
    if (found.size() > 1) return {.problem = std::to_string(found.size()) + " v=STSv1 records"};
    auto record = read_record(found.front());
    if (!record) return {.problem = "a malformed record: " + record.error()};
    return {.record = std::move(*record)};
}

}  // namespace herald::tlspolicy
