#pragma once
// The network resolver: libunbound, its result pipe watched by the Asio loop.
//
// Thread model: one UnboundResolver belongs to one io_context run by one thread; call it only
// from coroutines on that thread. Destroy it once its queries have finished or once that
// io_context has stopped (queries still suspended then are cancelled when their frames go).
// libunbound resolves in its own background thread and hands results back through a pipe
// that the querying coroutines wait on, so callbacks run on the io thread.
//
// Caching: libunbound keeps its own cache per context, honouring the records' TTLs (RFC 2308
// for negative answers, capped here at five minutes); timeouts and SERVFAIL are not kept
// beyond unbound's few-second hold-down.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "dns/rdata.hpp"
#include "dns/resolver.hpp"

struct ub_ctx;

namespace herald::dns {

struct UnboundOptions {
    // Forwarders as "ip:port", "[v6]:port" or a bare address (port 53); empty: /etc/resolv.conf.
    std::vector<std::string> servers;
    std::chrono::milliseconds timeout{std::chrono::seconds(10)};
    // DNSSEC trust anchors (a file of DS/DNSKEY records); empty: answers are never `secure`.
    std::filesystem::path trust_anchor_file;
};

class UnboundResolver final : public Resolver {
  public:
    static Result<std::unique_ptr<UnboundResolver>> create(boost::asio::any_io_executor executor,
                                                           const UnboundOptions& options);
    ~UnboundResolver() override;
    UnboundResolver(const UnboundResolver&) = delete;
    UnboundResolver& operator=(const UnboundResolver&) = delete;

    boost::asio::awaitable<Answer<MxRecord>> mx(std::string_view name) override;
    boost::asio::awaitable<Answer<std::string>> a(std::string_view name) override;
    boost::asio::awaitable<Answer<std::string>> aaaa(std::string_view name) override;
    boost::asio::awaitable<Answer<std::string>> txt(std::string_view name) override;
    boost::asio::awaitable<Answer<std::string>> ptr(std::string_view ip) override;
    boost::asio::awaitable<Answer<TlsaRecord>> tlsa(std::string_view name) override;

  private:
    template <typename T>
    using Decoder = std::optional<T> (*)(Rdata);

    UnboundResolver(boost::asio::any_io_executor executor, std::shared_ptr<ub_ctx> context,
                    std::chrono::milliseconds timeout);
    template <typename T>
    boost::asio::awaitable<Answer<T>> lookup(std::string name, int type, Decoder<T> decode);

    std::shared_ptr<ub_ctx> context_;                // shared with queries in flight
    boost::asio::posix::stream_descriptor results_;  // libunbound's pipe; not ours to close
    std::chrono::milliseconds timeout_;
};

}  // namespace herald::dns
