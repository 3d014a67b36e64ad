#include "mailauth/dkim/body_hash.hpp"

#include <algorithm>

#include "message/header_block.hpp"

namespace herald::mailauth::dkim {

BodyHasher::BodyHasher(Canonicalization c, std::optional<std::uint64_t> length_limit)
    : limit_(length_limit),
      canonicalizer_(c, [this](std::string_view canonical) { hash(canonical); }) {}

void BodyHasher::hash(std::string_view canonical) {
    if (limit_ && length_ < *limit_) {
        const auto room =
            static_cast<std::size_t>(std::min<std::uint64_t>(*limit_ - length_, canonical.size()));
        sha_.update(canonical.substr(0, room));
    } else if (!limit_) {
        sha_.update(canonical);
    }
    length_ += canonical.size();
}

Sha256Digest BodyHasher::finish() {
    canonicalizer_.finish();
    return sha_.finish();
}

void StreamedBodyHashes::want(Canonicalization c) {
    for (const auto& h : hashes_) {
        if (h.c == c) return;
    }
    hashes_.push_back({c, std::make_unique<BodyHasher>(c), {}});
}

void StreamedBodyHashes::update(std::string_view bytes) {
    for (auto& h : hashes_) h.hasher->update(bytes);
}

void StreamedBodyHashes::finish() {
    for (auto& h : hashes_) h.digest = h.hasher->finish();
}

const Sha256Digest* StreamedBodyHashes::digest(Canonicalization c) const {
    for (const auto& h : hashes_) {
        if (h.c == c) return &h.digest;
    }
    return nullptr;
}

BodyDigest hash_body(std::string_view body, Canonicalization c,
                     std::optional<std::uint64_t> length_limit) {
    BodyHasher hasher(c, length_limit);
    hasher.update(body);
    const Sha256Digest digest = hasher.finish();
    return {digest, hasher.canonical_length()};
}

std::string_view message_body(std::string_view message) {
    const auto block = message::HeaderBlock::parse(message);
    std::string_view rest = message.substr(block.end());
    if (rest.starts_with("\r\n")) return rest.substr(2);
    if (rest.starts_with("\n")) return rest.substr(1);
    return rest;
}

}  // namespace herald::mailauth::dkim
