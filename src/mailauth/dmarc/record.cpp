#include "mailauth/dmarc/record.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <set>
#include <utility>

#include "base/ascii_case.hpp"
#include "base/trimmed.hpp"

namespace herald::mailauth::dmarc {
namespace {

constexpr std::string_view kWhitespace = " \t\r\n";

struct Tag {
    std::string name;  // lower case
    std::string_view value;
};

Result<std::vector<Tag>> split_tags(std::string_view text) {
    std::vector<Tag> tags;
    std::set<std::string, std::less<>> seen;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto end = std::min(text.find(';', start), text.size());
        const std::string_view part = trimmed(text.substr(start, end - start));
        start = end + 1;
        if (part.empty()) continue;  // "p=none;" and ";;" are harmless
        const auto equals = part.find('=');
        if (equals == std::string_view::npos)
            return Error{"bad tag: '" + std::string(part) + "' has no '='"};
        Tag tag{ascii_lowercase(trimmed(part.substr(0, equals))), trimmed(part.substr(equals + 1))};
        if (tag.name.empty()) return Error{"bad tag: '" + std::string(part) + "' has no name"};
        if (!seen.insert(tag.name).second) {
            return Error{"duplicate tag: " + tag.name + " appears twice"};
        }
        tags.push_back(std::move(tag));
    }
    return tags;
}

std::optional<Policy> policy_of(std::string_view value) {
    const std::string word = ascii_lowercase(value);
    if (word == "none") return Policy::none;
    if (word == "quarantine") return Policy::quarantine;
    if (word == "reject") return Policy::reject;
    return std::nullopt;
}

std::optional<unsigned long> number_of(std::string_view value, unsigned long max) {
    unsigned long number = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (value.empty() || error != std::errc() || end != value.data() + value.size() ||
        number > max) {
        return std::nullopt;
    }
    return number;
}

// dmarc-uri (6.4): a URI with a scheme, then an optional "!size" limit; kept as written.
bool is_report_uri(std::string_view uri) {
    const auto colon = uri.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == uri.size()) return false;
    auto scheme_char = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '+' || c == '-' || c == '.';
    };
    return std::all_of(uri.begin(), uri.begin() + static_cast<std::ptrdiff_t>(colon),
                       scheme_char) &&
           std::none_of(uri.begin(), uri.end(), [](char c) { return c == ' ' || c == '\t'; });
}

// The URIs of a rua or ruf list. One that is not a URI is discarded on its own (6.3), and
// named in `ignored`; the others still count (6.6.3: "at least one syntactically valid").
std::vector<std::string> uris_of(std::string_view name, std::string_view value,
                                 std::vector<std::string>& ignored) {
    std::vector<std::string> uris;
    std::size_t start = 0;
    while (start <= value.size()) {
        const auto end = std::min(value.find(',', start), value.size());
        const std::string_view uri = trimmed(value.substr(start, end - start));
        start = end + 1;
        if (is_report_uri(uri)) {
            uris.emplace_back(uri);
        } else {
            ignored.push_back("bad " + std::string(name) + ": '" + std::string(uri) +
                              "' is not a URI");
        }
    }
    return uris;
}

// A colon-separated list whose every item is one of `allowed` (fo, rf).
bool is_option_list(std::string_view value, std::string_view name) {
    static constexpr std::array<std::string_view, 4> fo_values = {"0", "1", "d", "s"};
    std::size_t start = 0;
    while (start <= value.size()) {
        const auto end = std::min(value.find(':', start), value.size());
        const std::string item = ascii_lowercase(trimmed(value.substr(start, end - start)));
        start = end + 1;
        const bool known = name == "fo" ? std::ranges::find(fo_values, item) != fo_values.end()
                                        : item == "afrf" || item == "iodef";
        if (!known) return false;
    }
    return true;
}

std::optional<Alignment> alignment_of(std::string_view value) {
    const std::string word = ascii_lowercase(value);
    if (word == "r") return Alignment::relaxed;
    if (word == "s") return Alignment::strict;
    return std::nullopt;
}

std::string bad(std::string_view name, std::string_view value, std::string_view expected) {
    return "bad " + std::string(name) + ": '" + std::string(value) + "' is not " +
           std::string(expected);
}

// Every tag but v and p, whose faults 6.6.3 treats apart. A bad value leaves the tag's
// default in place and is returned as what was ignored (6.3).
std::optional<std::string> apply_tag(Record& record, const Tag& tag) {
    if (tag.name == "adkim" || tag.name == "aspf") {
        auto alignment = alignment_of(tag.value);
        if (!alignment) return bad(tag.name, tag.value, "r or s");
        (tag.name == "adkim" ? record.dkim_alignment : record.spf_alignment) = *alignment;
    } else if (tag.name == "pct") {
        auto percent = number_of(tag.value, 100);
        if (!percent) return bad("pct", tag.value, "a number from 0 to 100");
        record.percent = static_cast<unsigned>(*percent);
    } else if (tag.name == "ri") {
        auto interval = number_of(tag.value, 0xffffffffUL);
        if (!interval) return bad("ri", tag.value, "a number of seconds");
        record.report_interval = static_cast<std::uint32_t>(*interval);
    } else if (tag.name == "np") {
        record.nonexistent_policy = policy_of(tag.value);
        if (!record.nonexistent_policy) return bad("np", tag.value, "none, quarantine or reject");
    } else if (tag.name == "fo" || tag.name == "rf") {
        if (!is_option_list(tag.value, tag.name)) {
            return bad(tag.name, tag.value, tag.name == "fo" ? "a list of 0, 1, d, s" : "afrf");
        }
        (tag.name == "fo" ? record.failure_options : record.report_format) =
            ascii_lowercase(tag.value);
    } else if (tag.name == "rua" || tag.name == "ruf") {
        (tag.name == "rua" ? record.aggregate_uris : record.failure_uris) =
            uris_of(tag.name, tag.value, record.ignored);
    }
    return std::nullopt;
}

const Tag* find(const std::vector<Tag>& tags, std::string_view name) {
    const auto found = std::ranges::find_if(tags, [&](const Tag& t) { return t.name == name; });
    return found == tags.end() ? nullptr : &*found;
}

}  // namespace

std::string_view to_string(Policy policy) {
    switch (policy) {
        case Policy::none:
            return "none";
        case Policy::quarantine:
            return "quarantine";
        case Policy::reject:
            return "reject";
    }
    return "none";
}

std::string_view to_string(Alignment alignment) {
    return alignment == Alignment::strict ? "strict" : "relaxed";
}

bool is_dmarc_record(std::string_view text) {
    text = trimmed(text);
    // The tag name is an ABNF string, "v" in any case (RFC 5234 2.3); the value is not.
    if (!text.starts_with("v") && !text.starts_with("V")) return false;
    text = trimmed(text.substr(1));
    if (!text.starts_with("=")) return false;
    text = trimmed(text.substr(1));
    return text.starts_with("DMARC1") && (text.size() == 6 || text[6] == ';' ||
                                          kWhitespace.find(text[6]) != std::string_view::npos);
}

Result<Record> Record::parse(std::string_view text) {
    auto tags = split_tags(text);
    if (!tags && is_dmarc_record(text)) return Error{tags.error()};
    if (!tags || tags->empty() || tags->front().name != "v") {
        if (tags && find(*tags, "v"))
            return Error{"v not first: a DMARC record begins with v=DMARC1"};
        return Error{"not dmarc: the record does not begin with v=DMARC1"};
    }
    const std::string_view version = tags->front().value;
    // The version is "DMARC1" exactly (6.4: %x44 %x4d %x41 %x52 %x43 %x31).
    if (version != "DMARC1") {
        if (ascii_lowercase(version).starts_with("dmarc"))
            return Error{bad("version", version, "DMARC1")};
        return Error{"not dmarc: v=" + std::string(version) + " is not DMARC"};
    }
    // Discovery keeps only what begins with v=DMARC1 (6.6.3), not ";v=DMARC1".
    if (!is_dmarc_record(text)) return Error{"not dmarc: the record does not begin with v=DMARC1"};
    Record record;
    for (const Tag& tag : *tags) {
        if (auto ignored = apply_tag(record, tag)) record.ignored.push_back(std::move(*ignored));
    }
    // 6.6.3: a missing or bad p reads as a record of p=none alone when rua names where to
    // report; without rua the record is unusable.
    const Tag* p = find(*tags, "p");
    const auto policy = p ? policy_of(p->value) : std::nullopt;
    if (!policy) {
        if (record.aggregate_uris.empty()) {
            if (!p) return Error{"missing p: a DMARC record needs p=none, quarantine or reject"};
            return Error{bad("p", p->value, "none, quarantine or reject")};
        }
        record.policy = record.subdomain_policy = Policy::none;
        return record;
    }
    record.policy = *policy;
    record.subdomain_policy = *policy;
    if (const Tag* sp = find(*tags, "sp")) {
        if (const auto subdomain_policy = policy_of(sp->value)) {
            record.subdomain_policy = *subdomain_policy;
        } else {
            record.ignored.push_back(bad("sp", sp->value, "none, quarantine or reject"));
        }
    }
    return record;
}

}  // namespace herald::mailauth::dmarc
