#include "mailauth/dkim/key_record.hpp"

#include <algorithm>

#include "mailauth/dkim/base64.hpp"
#include "mailauth/dkim/tag_list.hpp"

namespace herald::mailauth::dkim {

namespace {

std::vector<std::string> split_colon_list(std::string_view text) {
    std::vector<std::string> items;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find(':', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view item = text.substr(start, end - start);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
            item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
        if (!item.empty()) items.emplace_back(item);
        start = end + 1;
    }
    return items;
}

bool contains(const std::vector<std::string>& list, std::string_view item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

bool KeyRecord::allows_sha256() const {
    return hash_algorithms.empty() || contains(hash_algorithms, "sha256");
}

bool KeyRecord::allows_email() const {
    return service_types.empty() || contains(service_types, "*") ||
           contains(service_types, "email");
}

Result<KeyRecord> parse_key_record(std::string_view text) {
    auto tags = TagList::parse(text);
    if (!tags) return Error{tags.error()};
    // v= is optional, but when present it must be the first tag and say DKIM1 (RFC 6376 3.6.1).
    if (const Tag* v = tags->find("v")) {
        if (&tags->tags().front() != v) return Error{"v= is not the first tag"};
        if (v->value != "DKIM1")
            return Error{"not a DKIM1 record (v=" + v->value.substr(0, 20) + ")"};
    }
    KeyRecord record;
    const Tag* p = tags->find("p");
    if (!p) return Error{"no p= tag"};
    if (!p->value.empty()) {
        auto key = decode_base64(p->value);
        if (!key || key->empty()) return Error{"p= is not valid base64"};
        record.public_key = std::move(*key);
    }
    if (const Tag* k = tags->find("k")) record.key_type = k->value;
    if (const Tag* h = tags->find("h")) record.hash_algorithms = split_colon_list(h->value);
    if (const Tag* s = tags->find("s")) record.service_types = split_colon_list(s->value);
    if (const Tag* t = tags->find("t")) {
        const auto flags = split_colon_list(t->value);
        record.testing = contains(flags, "y");
        record.strict_identity = contains(flags, "s");
    }
    return record;
}

}  // namespace herald::mailauth::dkim
