#pragma once
// The configured [[dkim.key]]s as the server uses them: loaded and prepared once, chosen by
// the From: domain (the domain's own keys, else the "*" keys), and, with require_dns_match,
// used only while the key published at <selector>._domainkey.<domain> is the private key's
// public half. That check is made on first use for a domain and again once its result is
// old (an hour when it matched, five minutes when it did not); every change of its outcome
// is reported through the `note` callback, so the mainlog says why mail goes unsigned.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.hpp"
#include "config/config.hpp"
#include "dns/resolver.hpp"
#include "mailauth/dkim/body_hash.hpp"
#include "mailauth/dkim/signer.hpp"

namespace herald::mailauth::dkim {

// One signature to add: which key, for which d=.
struct SigningChoice {
    // Shared: a message being accepted keeps its key after a reload has replaced the keyring.
    std::shared_ptr<const Signer> signer;
    std::string domain;
    SignOptions options;
};

// A DKIM-Signature field of a message that Herald made, and how to make it again.
struct OwnSignature {
    std::size_t begin = 0;  // the field's bytes in the message, its line ending included
    std::size_t end = 0;
    SigningChoice choice;
};

class Keyring {
  public:
    using Clock = std::chrono::steady_clock;
    using Note = std::function<void(const std::string&)>;

    // Loads every key; the first that cannot be loaded or is too weak is the error.
    static Result<std::shared_ptr<Keyring>> load(const std::vector<config::DkimKey>& keys);

    // The signatures a message whose From: domain is `from_domain` gets now (none when no key
    // applies or none is published correctly). May ask DNS; the keyring must outlive it.
    boost::asio::awaitable<std::vector<SigningChoice>> choose(const std::string& from_domain,
                                                              dns::Resolver& resolver,
                                                              const Note& note);

    // Checks the keys of named domains at once, so that start-up tells their state.
    boost::asio::awaitable<void> check_named_domains(dns::Resolver& resolver, const Note& note);

    // The signatures on `message` that Herald made: those that verify with the public half of
    // one of these keys for their s= and d=. A field that merely names a selector Herald uses
    // proves nothing, and re-signing it would hand a stranger a signature. Pure: no DNS, no
    // state; `now` is seconds since the epoch.
    std::vector<OwnSignature> own_signatures(std::string_view message, std::int64_t now) const;

    bool empty() const { return keys_.empty(); }

  private:
    struct Key {
        std::string domain;  // or "*"
        std::shared_ptr<const Signer> signer;
        bool require_dns_match = true;
        SignOptions options;
    };
    struct Publication {
        bool matches = false;
        std::string reason;
        Clock::time_point checked;
    };

    const Key* key_for(std::string_view selector, std::string_view domain) const;
    boost::asio::awaitable<bool> published(const Key& key, const std::string& domain,
                                           dns::Resolver& resolver, const Note& note);

    std::vector<Key> keys_;
    std::map<std::pair<std::string, std::string>, Publication> publications_;  // (s=, d=)
};

// The DKIM-Signature fields for `message`, one per choice, to prepend to it. A key that fails
// to sign is skipped; `failures` gets why.
std::string sign_message(std::string_view message, const std::vector<SigningChoice>& choices,
                         std::vector<std::string>& failures);

// The same for a message whose body is hashed apart: `header` is its header section, and
// `bodies` was fed its body, wanting every choice's body canonicalization (want_body_hashes).
std::string sign_message(std::string_view header, const StreamedBodyHashes& bodies,
                         const std::vector<SigningChoice>& choices,
                         std::vector<std::string>& failures);
void want_body_hashes(StreamedBodyHashes& bodies, const std::vector<SigningChoice>& choices);

}  // namespace herald::mailauth::dkim
