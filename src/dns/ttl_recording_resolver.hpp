#pragma once
// A Resolver that passes every query through to another and remembers the smallest TTL of
// the answers, so that a result computed from several lookups (an SPF evaluation, a DMARC
// policy discovery) is kept no longer than the records it was made from.
#include <cstdint>
#include <optional>

#include "dns/resolver.hpp"

namespace herald::dns {

class TtlRecordingResolver final : public Resolver {
  public:
    explicit TtlRecordingResolver(Resolver& next) : next_(next) {}

    boost::asio::awaitable<Answer<MxRecord>> mx(std::string_view name) override;
    boost::asio::awaitable<Answer<std::string>> a(std::string_view name) override;
    boost::asio::awaitable<Answer<std::string>> aaaa(std::string_view name) override;
    boost::asio::awaitable<Answer<std::string>> txt(std::string_view name) override;
    boost::asio::awaitable<Answer<std::string>> ptr(std::string_view ip) override;
    boost::asio::awaitable<Answer<TlsaRecord>> tlsa(std::string_view name) override;

    // The smallest TTL of the answers so far (negative ones included: their TTL is the
    // zone's negative-caching time); nullopt before any answer, or when every query failed.
    std::optional<std::uint32_t> min_ttl() const { return min_ttl_; }

  private:
    template <typename T>
    Answer<T> record(Answer<T> answer);

    Resolver& next_;
    std::optional<std::uint32_t> min_ttl_;
};

}  // namespace herald::dns
