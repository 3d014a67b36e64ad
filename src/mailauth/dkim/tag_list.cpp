#include "mailauth/dkim/tag_list.hpp"

#include <algorithm>
#include <cctype>

namespace herald::mailauth::dkim {

namespace {

// tag-name = ALPHA *ALNUMPUNC, ALNUMPUNC = ALPHA / DIGIT / "_"
bool valid_tag_name(std::string_view name) {
    auto alnumpunc = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    return !name.empty() && std::isalpha(static_cast<unsigned char>(name.front())) &&
           std::all_of(name.begin(), name.end(), alnumpunc);
}

// tval = 1*VALCHAR (%x21-3A / %x3C-7E); whitespace may separate tvals. Octets above 0x7E
// are let through: records and signatures with UTF-8 (RFC 8616) are seen in practice.
bool valid_tag_value(std::string_view value) {
    return std::none_of(value.begin(), value.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return (u < 0x21 && !is_fws(c)) || u == 0x7F;
    });
}

}  // namespace

bool is_fws(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trim_fws(std::string_view s) {
    while (!s.empty() && is_fws(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_fws(s.back())) s.remove_suffix(1);
    return s;
}

Result<TagList> TagList::parse(std::string_view text) {
    TagList list;
    std::size_t offset = 0;
    while (offset <= text.size()) {
        std::size_t end = text.find(';', offset);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view spec = text.substr(offset, end - offset);
        if (trim_fws(spec).empty()) {
            // Only the last tag-spec may be empty: a trailing ';' (RFC 6376 3.2).
            if (end != text.size() && !trim_fws(text.substr(end + 1)).empty()) {
                return Error{"empty tag in tag list"};
            }
            break;
        }
        const std::size_t eq = spec.find('=');
        if (eq == std::string_view::npos) {
            return Error{"tag without '=': \"" + std::string(trim_fws(spec)).substr(0, 40) + "\""};
        }
        const std::string_view name = trim_fws(spec.substr(0, eq));
        if (!valid_tag_name(name)) {
            return Error{"bad tag name \"" + std::string(name).substr(0, 40) + "\""};
        }
        const std::string_view value = trim_fws(spec.substr(eq + 1));
        if (!valid_tag_value(value)) return Error{"bad character in tag " + std::string(name)};
        if (list.find(name)) return Error{"tag " + std::string(name) + " appears twice"};
        list.tags_.push_back({std::string(name), std::string(value), offset + eq + 1, end});
        offset = end + 1;
    }
    return list;
}

const Tag* TagList::find(std::string_view name) const {
    auto it =
        std::find_if(tags_.begin(), tags_.end(), [name](const Tag& t) { return t.name == name; });
    return it == tags_.end() ? nullptr : &*it;
}

}  // namespace herald::mailauth::dkim
