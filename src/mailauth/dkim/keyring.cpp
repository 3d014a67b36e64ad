#include "mailauth/dkim/keyring.hpp"

#include "base/ascii_case.hpp"
#include "base/private_file.hpp"
#include "mailauth/dkim/private_key.hpp"
#include "mailauth/dkim/signature.hpp"
#include "mailauth/dkim/verifier.hpp"
#include "message/header_block.hpp"

namespace herald::mailauth::dkim {

namespace asio = boost::asio;

namespace {

constexpr auto kRecheckWhenMatching = std::chrono::hours(1);
constexpr auto kRecheckWhenNot = std::chrono::minutes(5);

// "header/body", or one word for the header with a simple body (RFC 6376 3.5); the config
// loader checked the spelling.
SignOptions options_for(const config::DkimKey& key) {
    SignOptions options;
    const std::string& c = key.canonicalization;
    const auto slash = c.find('/');
    auto header = parse_canonicalization(c.substr(0, slash));
    auto body = slash == std::string::npos ? std::optional(Canonicalization::simple)
                                           : parse_canonicalization(c.substr(slash + 1));
    if (header) options.header_c = *header;
    if (body) options.body_c = *body;
    return options;
}

}  // namespace

Result<std::shared_ptr<Keyring>> Keyring::load(const std::vector<config::DkimKey>& keys) {
    auto ring = std::make_shared<Keyring>();
    for (const auto& k : keys) {
        if (auto exposed = exposed_private_file(k.private_key)) {
            return Error{"dkim key " + k.selector + " for " + k.domain + ": " + *exposed};
        }
        auto key = PrivateKey::load_file(k.private_key);
        if (!key) return Error{"dkim key " + k.selector + " for " + k.domain + ": " + key.error()};
        auto signer = Signer::create(k.selector, std::move(*key));
        if (!signer) {
            return Error{"dkim key " + k.selector + " for " + k.domain + ": " + signer.error()};
        }
        ring->keys_.push_back({k.domain, std::make_shared<const Signer>(std::move(*signer)),
                               k.require_dns_match, options_for(k)});
    }
    return ring;
}

asio::awaitable<std::vector<SigningChoice>> Keyring::choose(const std::string& from_domain,
                                                            dns::Resolver& resolver,
                                                            const Note& note) {
    std::vector<SigningChoice> choices;
    if (from_domain.empty()) co_return choices;
    bool own = false;
    for (const Key& key : keys_) own = own || key.domain == from_domain;
    for (const Key& key : keys_) {
        if (key.domain != (own ? from_domain : std::string("*"))) continue;
        bool usable = true;
        // Not inside a condition: GCC 12 miscompiles some co_await subexpressions.
        if (key.require_dns_match) usable = co_await published(key, from_domain, resolver, note);
        if (usable) choices.push_back({key.signer, from_domain, key.options});
    }
    co_return choices;
}

asio::awaitable<void> Keyring::check_named_domains(dns::Resolver& resolver, const Note& note) {
    for (const Key& key : keys_) {
        if (key.domain == "*" || !key.require_dns_match) continue;
        co_await published(key, key.domain, resolver, note);
    }
}

// The key that signs for `domain` with `selector`: the domain's own, else a "*" key.
const Keyring::Key* Keyring::key_for(std::string_view selector, std::string_view domain) const {
    const Key* fallback = nullptr;
    for (const Key& key : keys_) {
        if (key.signer->selector() != selector) continue;
        if (equals_ignoring_case(key.domain, domain)) return &key;
        if (key.domain == "*" && !fallback) fallback = &key;
    }
    return fallback;
}

std::vector<OwnSignature> Keyring::own_signatures(std::string_view message,
                                                  std::int64_t now) const {
    std::vector<OwnSignature> own;
    // Each signature is checked against the key Herald would have used for it, as if DNS
    // had answered with that key's record.
    KeyAnswers answers;
    const auto block = message::HeaderBlock::parse(message);
    std::vector<const message::HeaderField*> fields;
    for (const auto& field : block.fields()) {
        if (!message::same_field_name(field.name, kSignatureField)) continue;
        fields.push_back(&field);
        auto signature = parse_signature(field.value);
        if (!signature) continue;
        if (const Key* key = key_for(signature->selector, signature->domain)) {
            answers[key_query_name(signature->selector, signature->domain)] =
                KeyAnswer{dns::Status::ok, {key->signer->key().record_text()}};
        }
    }
    if (answers.empty()) return own;
    const auto results = verify_message(message, answers, now);
    for (std::size_t i = 0; i < results.size() && i < fields.size(); ++i) {
        if (results[i].outcome != Outcome::pass) continue;
        const Key* key = key_for(results[i].selector, results[i].domain);
        if (!key) continue;
        own.push_back({fields[i]->begin, fields[i]->end,
                       SigningChoice{key->signer, results[i].domain, key->options}});
    }
    return own;
}

asio::awaitable<bool> Keyring::published(const Key& key, const std::string& domain,
                                         dns::Resolver& resolver, const Note& note) {
    const auto id = std::make_pair(key.signer->selector(), domain);
    const auto now = Clock::now();
    auto it = publications_.find(id);
    if (it != publications_.end()) {
        const auto age = now - it->second.checked;
        if (age < (it->second.matches ? kRecheckWhenMatching : kRecheckWhenNot)) {
            co_return it->second.matches;
        }
    }
    const std::string name = key.signer->selector() + "._domainkey." + domain;
    auto answer = co_await resolver.txt(name);
    Publication found{.checked = now};
    if (answer.temporary() && it != publications_.end()) {
        // A DNS hiccup says nothing new about the key: keep what was known, ask again later.
        it->second.checked = now;
        co_return it->second.matches;
    }
    if (!answer.ok()) {
        found.reason =
            "no key published at " + name + " (" + std::string(dns::to_string(answer.status)) + ")";
    } else {
        found.reason = "no TXT record at " + name + " is a DKIM key";
        for (const auto& record : answer.records) {
            auto match = published_key_matches(key.signer->key(), record);
            found.matches = match.matches;
            found.reason = match.reason;
            if (match.matches) break;
        }
    }
    const bool changed = it == publications_.end() || it->second.matches != found.matches ||
                         it->second.reason != found.reason;
    if (changed && note) {
        note(found.matches
                 ? "dkim: signing for " + domain + " with " + name + ": the published key matches"
                 : "dkim: not signing for " + domain + " with " + name + ": " + found.reason);
    }
    publications_[id] = found;
    co_return found.matches;
}

void want_body_hashes(StreamedBodyHashes& bodies, const std::vector<SigningChoice>& choices) {
    for (const auto& choice : choices) bodies.want(choice.options.body_c);
}

std::string sign_message(std::string_view header, const StreamedBodyHashes& bodies,
                         const std::vector<SigningChoice>& choices,
                         std::vector<std::string>& failures) {
    std::string fields;
    for (const auto& choice : choices) {
        const Sha256Digest* body_hash = bodies.digest(choice.options.body_c);
        auto field = body_hash ? choice.signer->sign_header(header, *body_hash, choice.domain,
                                                            choice.options)
                               : Result<std::string>(Error{"no body hash"});
        if (field) {
            fields += *field;
        } else {
            failures.push_back("dkim: signing for " + choice.domain + " with selector " +
                               choice.signer->selector() + " failed: " + field.error());
        }
    }
    return fields;
}

std::string sign_message(std::string_view message, const std::vector<SigningChoice>& choices,
                         std::vector<std::string>& failures) {
    StreamedBodyHashes bodies;
    want_body_hashes(bodies, choices);
    bodies.update(message_body(message));
    bodies.finish();
    return sign_message(message, bodies, choices, failures);
}

}  // namespace herald::mailauth::dkim
