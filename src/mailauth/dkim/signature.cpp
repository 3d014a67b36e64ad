#include "mailauth/dkim/signature.hpp"

#include <algorithm>
#include <cctype>

#include "mailauth/dkim/base64.hpp"
#include "mailauth/dkim/tag_list.hpp"

namespace herald::mailauth::dkim {

namespace {

constexpr std::size_t kMaxLine = 78;

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::optional<std::uint64_t> parse_digits(std::string_view text) {
    // At most 18 digits: no overflow, and RFC 6376 caps t=, x= and l= at 12 and 76 digits.
    if (text.empty() || text.size() > 18) return std::nullopt;
    std::uint64_t n = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return n;
}

std::vector<std::string_view> split(std::string_view text, char sep) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (true) {
        const std::size_t end = text.find(sep, start);
        parts.push_back(
            trim_fws(text.substr(start, end == std::string_view::npos ? text.npos : end - start)));
        if (end == std::string_view::npos) return parts;
        start = end + 1;
    }
}

// The domain of i= must be d= or a subdomain of it (RFC 6376 3.5).
bool identity_within(std::string_view identity, std::string_view domain) {
    const std::size_t at = identity.rfind('@');
    if (at == std::string_view::npos) return false;
    const std::string_view host = identity.substr(at + 1);
    if (iequals(host, domain)) return true;
    return host.size() > domain.size() && host[host.size() - domain.size() - 1] == '.' &&
           iequals(host.substr(host.size() - domain.size()), domain);
}

Result<Canonicalization> parse_c_part(std::string_view text) {
    if (auto c = parse_canonicalization(text)) return *c;
    return Error{"unsupported canonicalization " + std::string(text)};
}

Status parse_canonicalizations(const Tag* tag, Signature& sig) {
    if (!tag) return ok_status();  // simple/simple
    const std::string_view value = tag->value;
    const std::size_t slash = value.find('/');
    auto header = parse_c_part(value.substr(0, slash));
    if (!header) return Error{header.error()};
    sig.header_c = *header;
    if (slash != std::string_view::npos) {
        auto body = parse_c_part(value.substr(slash + 1));
        if (!body) return Error{body.error()};
        sig.body_c = *body;
    }
    return ok_status();
}

Result<std::string> required(const TagList& tags, std::string_view name) {
    const Tag* tag = tags.find(name);
    if (!tag) return Error{"missing " + std::string(name) + "= tag"};
    if (tag->value.empty()) return Error{"empty " + std::string(name) + "= tag"};
    return tag->value;
}

Status parse_times(const TagList& tags, Signature& sig) {
    for (auto [name, field] : {std::pair{"t", &sig.timestamp}, std::pair{"x", &sig.expiration}}) {
        if (const Tag* tag = tags.find(name)) {
            auto n = parse_digits(tag->value);
            if (!n) return Error{"bad " + std::string(name) + "= tag"};
            *field = static_cast<std::int64_t>(*n);
        }
    }
    if (sig.timestamp && sig.expiration && *sig.expiration < *sig.timestamp) {
        return Error{"x= is before t="};
    }
    if (const Tag* tag = tags.find("l")) {
        sig.body_length = parse_digits(tag->value);
        if (!sig.body_length) return Error{"bad l= tag"};
    }
    return ok_status();
}

Status parse_signed_headers(std::string_view h, Signature& sig) {
    for (std::string_view name : split(h, ':')) {
        if (name.empty()) return Error{"empty header name in h="};
        sig.signed_headers.emplace_back(name);
    }
    // RFC 6376 5.4: From MUST be signed.
    if (std::none_of(sig.signed_headers.begin(), sig.signed_headers.end(),
                     [](const std::string& n) { return iequals(n, "from"); })) {
        return Error{"From is not signed (h= lacks from)"};
    }
    return ok_status();
}

Status parse_hashes(const TagList& tags, Signature& sig) {
    auto bh = required(tags, "bh");
    if (!bh) return Error{bh.error()};
    auto body_hash = decode_base64(*bh);
    if (!body_hash || body_hash->size() != 32) return Error{"bad bh= tag"};
    sig.body_hash = std::move(*body_hash);
    const Tag* b = tags.find("b");
    if (!b) return Error{"missing b= tag"};
    auto signature = decode_base64(b->value);
    if (!signature) return Error{"bad b= tag"};
    sig.signature = std::move(*signature);
    sig.b_value_begin = b->value_begin;
    sig.b_value_end = b->value_end;
    return ok_status();
}

Status parse_identity(const TagList& tags, Signature& sig) {
    auto domain = required(tags, "d");
    if (!domain) return Error{domain.error()};
    auto selector = required(tags, "s");
    if (!selector) return Error{selector.error()};
    sig.domain = std::move(*domain);
    sig.selector = std::move(*selector);
    const Tag* i = tags.find("i");
    sig.identity = i ? i->value : "@" + sig.domain;
    if (!identity_within(sig.identity, sig.domain)) return Error{"i= is not within d="};
    if (const Tag* q = tags.find("q")) {
        auto methods = split(q->value, ':');
        if (std::none_of(methods.begin(), methods.end(),
                         [](std::string_view m) { return m == "dns/txt"; })) {
            return Error{"unsupported query method " + q->value};
        }
    }
    return ok_status();
}

// Folding as the field is written: tokens separated by a space, or by CRLF SP when the
// line would grow past 78 characters.
class FieldWriter {
  public:
    explicit FieldWriter(std::string_view name) : text_(std::string(name) + ":") {
        line_ = text_.size();
    }
    void add(std::string_view token, bool space = true, std::size_t reserve = 0) {
        const std::size_t needed = (space ? 1 : 0) + token.size() + reserve;
        if (line_ + needed > kMaxLine && line_ > 1) {
            text_ += "\r\n ";
            line_ = 1;
        } else if (space) {
            text_ += ' ';
            ++line_;
        }
        text_ += token;
        line_ += token.size();
    }
    std::string take() { return std::move(text_); }

  private:
    std::string text_;
    std::size_t line_ = 0;
};

}  // namespace

bool valid_dns_name(std::string_view name) {
    auto ok = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    };
    return !name.empty() && name.size() <= 253 && std::all_of(name.begin(), name.end(), ok) &&
           name.front() != '.' && name.back() != '.' && name.find("..") == std::string_view::npos;
}

std::string_view to_string(Algorithm a) {
    return a == Algorithm::rsa_sha256 ? "rsa-sha256" : "ed25519-sha256";
}

std::optional<Algorithm> parse_algorithm(std::string_view text) {
    if (text == "rsa-sha256") return Algorithm::rsa_sha256;
    if (text == "ed25519-sha256") return Algorithm::ed25519_sha256;
    return std::nullopt;
}

Result<Signature> parse_signature(std::string_view value) {
    auto tags = TagList::parse(value);
    if (!tags) return Error{"syntax error: " + tags.error()};
    Signature sig;
    const Tag* v = tags->find("v");
    if (!v) return Error{"syntax error: missing v= tag"};
    if (v->value != "1") return Error{"unsupported version v=" + v->value.substr(0, 20)};
    auto a = required(*tags, "a");
    if (!a) return Error{"syntax error: " + a.error()};
    auto algorithm = parse_algorithm(*a);
    if (!algorithm) return Error{"unsupported algorithm " + a->substr(0, 40)};
    sig.algorithm = *algorithm;
    auto h = required(*tags, "h");
    if (!h) return Error{"syntax error: " + h.error()};
    for (auto step :
         {parse_canonicalizations(tags->find("c"), sig), parse_times(*tags, sig),
          parse_signed_headers(*h, sig), parse_hashes(*tags, sig), parse_identity(*tags, sig)}) {
        if (!step) return Error{"syntax error: " + step.error()};
    }
    return sig;
}

std::string format_unsigned_field(const SignatureSpec& spec) {
    FieldWriter w(kSignatureField);
    w.add("v=1;");
    w.add("a=" + std::string(to_string(spec.algorithm)) + ";");
    w.add("c=" + std::string(to_string(spec.header_c)) + "/" + std::string(to_string(spec.body_c)) +
          ";");
    w.add("d=" + spec.domain + ";");
    if (!spec.identity.empty()) w.add("i=" + spec.identity + ";");
    w.add("s=" + spec.selector + ";");
    if (spec.timestamp) w.add("t=" + std::to_string(*spec.timestamp) + ";");
    if (spec.expiration) w.add("x=" + std::to_string(*spec.expiration) + ";");
    // h= may fold before any ':' (RFC 6376 3.5 sig-h-tag allows FWS there).
    for (std::size_t i = 0; i < spec.signed_headers.size(); ++i) {
        std::string token = (i == 0 ? "h=" : ":") + spec.signed_headers[i];
        if (i + 1 == spec.signed_headers.size()) token += ';';
        w.add(token, i == 0);
    }
    w.add("bh=" + encode_base64(spec.body_hash) + ";");
    // Room for some of the signature on the b= line.
    w.add("b=", true, 16);
    return w.take();
}

void insert_folded_signature(std::string& field, std::size_t at, std::string_view b64) {
    const std::size_t line_start = field.rfind('\n', at == 0 ? 0 : at - 1);
    std::size_t line = at - (line_start == std::string::npos ? 0 : line_start + 1);
    std::string folded;
    folded.reserve(b64.size() + b64.size() / 64 * 3 + 3);
    while (!b64.empty()) {
        if (line >= kMaxLine) {
            folded += "\r\n ";
            line = 1;
        }
        const std::size_t n = std::min(kMaxLine - line, b64.size());
        folded += b64.substr(0, n);
        line += n;
        b64.remove_prefix(n);
    }
    field.insert(at, folded);
}

}  // namespace herald::mailauth::dkim
