#include "mailauth/dkim/verifier.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

#include "mailauth/dkim/body_hash.hpp"
#include "mailauth/dkim/header_hash.hpp"
#include "mailauth/dkim/key_record.hpp"
#include "mailauth/dkim/public_key.hpp"
#include "mailauth/dkim/signature.hpp"
#include "mailauth/dkim/tag_list.hpp"
#include "message/header_block.hpp"

namespace herald::mailauth::dkim {

namespace {

struct SignatureField {
    std::string_view raw;    // "DKIM-Signature: ..." with its final CRLF
    std::string_view value;  // after the colon
};

std::vector<SignatureField> signature_fields(std::string_view message,
                                             const message::HeaderBlock& block) {
    std::vector<SignatureField> fields;
    for (const auto& field : block.fields()) {
        if (!message::same_field_name(field.name, kSignatureField)) continue;
        const std::string_view raw = message.substr(field.begin, field.end - field.begin);
        fields.push_back({raw, raw.substr(raw.find(':') + 1)});
    }
    return fields;
}

VerifyResult failure(VerifyResult result, std::string reason) {
    result.outcome = Outcome::fail;
    result.reason = std::move(reason);
    return result;
}

// d= and s= of a field too broken to parse, for the report line.
VerifyResult describe(std::string_view value) {
    VerifyResult result;
    if (auto tags = TagList::parse(value)) {
        if (const Tag* d = tags->find("d")) result.domain = d->value;
        if (const Tag* s = tags->find("s")) result.selector = s->value;
        if (const Tag* a = tags->find("a")) result.algorithm = a->value;
    }
    return result;
}

bool same_domain(std::string_view a, std::string_view b) {
    return message::same_field_name(a, b);  // ASCII case-insensitive, as DNS names compare
}

// Bodies hashed once per (canonicalization, l=) however many signatures share them.
class BodyHashes {
  public:
    explicit BodyHashes(std::string_view body) : body_(body) {}
    const BodyDigest& get(Canonicalization c, std::optional<std::uint64_t> limit) {
        for (const auto& e : entries_) {
            if (e.c == c && e.limit == limit) return e.digest;
        }
        entries_.push_back({c, limit, hash_body(body_, c, limit)});
        return entries_.back().digest;
    }

  private:
    struct Entry {
        Canonicalization c;
        std::optional<std::uint64_t> limit;
        BodyDigest digest;
    };
    std::string_view body_;
    std::vector<Entry> entries_;
};

struct KeyLookup {
    std::optional<PublicKey> key;
    VerifyResult problem;  // when there is no usable key
    bool testing = false;
};

KeyLookup find_key(const Signature& sig, const KeyAnswers& keys, VerifyResult base) {
    KeyLookup lookup{std::nullopt, base, false};
    const auto it = keys.find(key_query_name(sig.selector, sig.domain));
    if (it == keys.end() || it->second.status == dns::Status::nxdomain ||
        it->second.status == dns::Status::nodata ||
        (it->second.status == dns::Status::ok && it->second.records.empty())) {
        lookup.problem = failure(base, "key not found");
        return lookup;
    }
    if (it->second.status != dns::Status::ok) {
        lookup.problem = base;
        lookup.problem.outcome = Outcome::temperror;
        lookup.problem.reason =
            "key lookup failed: " + std::string(dns::to_string(it->second.status));
        return lookup;
    }
    // Several records: the first that parses is the key (RFC 6376 3.6.2.2 lets us choose).
    std::string why = "key syntax error";
    for (const auto& text : it->second.records) {
        auto record = parse_key_record(text);
        if (!record) {
            why = "key syntax error: " + record.error();
            continue;
        }
        lookup.testing = record->testing;
        if (record->revoked()) return {std::nullopt, failure(base, "key revoked"), record->testing};
        if (!record->allows_sha256())
            return {std::nullopt, failure(base, "key h= excludes sha256"), lookup.testing};
        if (!record->allows_email())
            return {std::nullopt, failure(base, "key s= excludes email"), lookup.testing};
        if (record->strict_identity) {
            const std::string_view host =
                std::string_view(sig.identity).substr(sig.identity.rfind('@') + 1);
            if (!same_domain(host, sig.domain)) {
                return {std::nullopt, failure(base, "key t=s forbids a subdomain in i="),
                        lookup.testing};
            }
        }
        auto key = PublicKey::from_record(*record);
        if (!key) return {std::nullopt, failure(base, key.error()), lookup.testing};
        lookup.key = std::move(*key);
        return lookup;
    }
    lookup.problem = failure(base, why);
    return lookup;
}

VerifyResult verify_one(std::string_view message, const message::HeaderBlock& block,
                        const SignatureField& field, const KeyAnswers& keys, std::int64_t now,
                        BodyHashes& bodies) {
    VerifyResult result = describe(field.value);
    auto sig = parse_signature(field.value);
    if (!sig) return failure(result, sig.error());
    if (sig->expiration && *sig->expiration < now) return failure(result, "signature expired");
    KeyLookup lookup = find_key(*sig, keys, result);
    if (!lookup.key) return lookup.problem;
    result.testing = lookup.testing;
    if (lookup.key->algorithm() != sig->algorithm)
        return failure(result, "key type does not match a=");
    if (lookup.key->algorithm() == Algorithm::rsa_sha256 &&
        lookup.key->bits() < kMinVerifyingRsaBits) {
        return failure(result,
                       "RSA key too small (" + std::to_string(lookup.key->bits()) + " bits)");
    }
    const BodyDigest& body = bodies.get(sig->body_c, sig->body_length);
    if (sig->body_length && *sig->body_length > body.canonical_length) {
        return failure(result, "l= is longer than the body");
    }
    if (sig->body_hash != std::string_view(reinterpret_cast<const char*>(body.digest.data()), 32)) {
        return failure(result, "body hash mismatch");
    }
    Sha256 sha;
    hash_signed_headers(sha, message, block, sig->signed_headers, sig->header_c);
    const std::size_t b_at =
        static_cast<std::size_t>(field.value.data() - field.raw.data()) + sig->b_value_begin;
    std::string without_b(field.raw);
    without_b.erase(b_at, sig->b_value_end - sig->b_value_begin);
    hash_signature_field(sha, without_b, sig->header_c);
    if (!lookup.key->verify(sha.finish(), sig->signature))
        return failure(result, "signature mismatch");
    result.outcome = Outcome::pass;
    return result;
}

}  // namespace

std::string_view to_string(Outcome outcome) {
    switch (outcome) {
        case Outcome::pass:
            return "pass";
        case Outcome::fail:
            return "fail";
        case Outcome::temperror:
            return "temperror";
    }
    return "fail";
}

std::string VerifyResult::to_line() const {
    std::string line = "dkim=" + std::string(to_string(outcome));
    if (!reason.empty()) line += " (" + reason + ")";
    line += " d=" + (domain.empty() ? std::string("?") : domain);
    line += " s=" + (selector.empty() ? std::string("?") : selector);
    line += " a=" + (algorithm.empty() ? std::string("?") : algorithm);
    if (testing) line += " (testing)";
    return line;
}

std::string key_query_name(std::string_view selector, std::string_view domain) {
    std::string name = std::string(selector) + "._domainkey." + std::string(domain);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return name;
}

std::vector<std::string> key_queries(std::string_view message) {
    const auto block = message::HeaderBlock::parse(message);
    std::vector<std::string> names;
    for (const auto& field : signature_fields(message, block)) {
        if (names.size() >= kMaxSignatures) break;
        const VerifyResult described = describe(field.value);
        // Only names a DNS query can carry are looked up; anything else is "key not found".
        if (!valid_dns_name(described.domain) || !valid_dns_name(described.selector)) continue;
        std::string name = key_query_name(described.selector, described.domain);
        if (std::find(names.begin(), names.end(), name) == names.end())
            names.push_back(std::move(name));
    }
    return names;
}

std::vector<VerifyResult> verify_message(std::string_view message, const KeyAnswers& keys,
                                         std::int64_t now) {
    const auto block = message::HeaderBlock::parse(message);
    BodyHashes bodies(message_body(message));
    std::vector<VerifyResult> results;
    for (const auto& field : signature_fields(message, block)) {
        if (results.size() >= kMaxSignatures) {
            results.push_back(failure(describe(field.value), "not checked: too many signatures"));
            continue;
        }
        results.push_back(verify_one(message, block, field, keys, now, bodies));
    }
    return results;
}

boost::asio::awaitable<std::vector<VerifyResult>> verify_message(std::string_view message,
                                                                 dns::Resolver& resolver,
                                                                 std::int64_t now) {
    KeyAnswers keys;
    for (const auto& name : key_queries(message)) {
        auto answer = co_await resolver.txt(name);
        keys[name] = KeyAnswer{answer.status, std::move(answer.records)};
    }
    co_return verify_message(message, keys, now);
}

}  // namespace herald::mailauth::dkim
