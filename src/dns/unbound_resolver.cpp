#include "dns/unbound_resolver.hpp"

#include <unbound.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <array>
#include <fstream>

#include "base/ascii_case.hpp"
#include "dns/reverse_name.hpp"

namespace herald::dns {
namespace {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

// RFC 1035 3.2.2 and 3.2.4, RFC 3596 2.1.
constexpr int type_a = 1;
constexpr int type_ptr = 12;
constexpr int type_mx = 15;
constexpr int type_txt = 16;
constexpr int type_aaaa = 28;
constexpr int type_tlsa = 52;
constexpr int class_in = 1;
constexpr int rcode_nxdomain = 3;

struct Option {
    const char* name;
    const char* value;
};
constexpr std::array<Option, 3> options_set = {{
    // The configured servers may well be on loopback (a local cache, the tests' unbound).
    {"do-not-query-localhost:", "no"},
    // RFC 2308 5: negative answers are cached, but a typo fixed in DNS should not wait hours.
    {"cache-max-negative-ttl:", "300"},
    // Private reverse zones (RFC 6303) are for the forwarded-to servers to answer.
    {"unblock-lan-zones:", "yes"},
}};

// libunbound answers these itself (RFC 6761 and RFC 5737 names, private reverse zones) unless
// told not to; the servers Herald forwards to are the ones that know whether they exist.
constexpr std::array<const char*, 6> forwarded_special_zones = {
    "test.",
    "home.arpa.",
    "2.0.192.in-addr.arpa.",
    "100.51.198.in-addr.arpa.",
    "113.0.203.in-addr.arpa.",
    "8.b.d.0.1.0.0.2.ip6.arpa.",
};

struct ResultDeleter {
    void operator()(ub_result* result) const { ub_resolve_free(result); }
};
using ResultPtr = std::unique_ptr<ub_result, ResultDeleter>;

// One query in flight: where libunbound's callback leaves the result, and the timer that
// the callback cancels to wake the coroutine waiting for it.
struct PendingQuery {
    explicit PendingQuery(const asio::any_io_executor& executor) : wake(executor) {}
    asio::steady_timer wake;
    bool done = false;
    int error = 0;
    ResultPtr result;
};

void on_result(void* data, int error, ub_result* result) {
    auto& query = *static_cast<PendingQuery*>(data);
    query.done = true;
    query.error = error;
    query.result.reset(result);
    query.wake.cancel();
}

// The callback must never write into a finished coroutine's frame: a query given up on
// (timeout, or the frame destroyed mid-wait) is cancelled in libunbound. The guard shares the
// context, so a frame destroyed with its io_context after the resolver can still cancel.
class QueryGuard {
  public:
    QueryGuard(std::shared_ptr<ub_ctx> context, int id, const PendingQuery& query)
        : context_(std::move(context)), id_(id), query_(query) {}
    ~QueryGuard() {
        if (!query_.done) ub_cancel(context_.get(), id_);
    }
    QueryGuard(const QueryGuard&) = delete;
    QueryGuard& operator=(const QueryGuard&) = delete;

  private:
    std::shared_ptr<ub_ctx> context_;
    int id_;
    const PendingQuery& query_;
};

bool same_name(std::string_view a, std::string_view b) {
    return equals_ignoring_case(without_root_dot(a), without_root_dot(b));
}

bool is_port(std::string_view text) {
    return !text.empty() && text.size() <= 5 &&
           std::ranges::all_of(text, [](char c) { return c >= '0' && c <= '9'; }) &&
           std::stoi(std::string(text)) <= 65535;
}

// "ip:port", "[v6]:port" or a bare address as libunbound spells a forwarder: "ip@port".
std::optional<std::string> forwarder_address(std::string_view server) {
    std::string_view host = server;
    std::string_view port;  // with its leading ':'
    if (server.starts_with('[')) {
        const auto close = server.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = server.substr(1, close - 1);
        port = server.substr(close + 1);
        if (!port.empty() && !port.starts_with(':')) return std::nullopt;
    } else if (std::ranges::count(server, ':') == 1) {
        host = server.substr(0, server.find(':'));
        port = server.substr(server.find(':'));
    }
    if (host.empty()) return std::nullopt;
    if (port.empty()) return std::string(host);
    if (!is_port(port.substr(1))) return std::nullopt;
    return std::string(host) + "@" + std::string(port.substr(1));
}

template <typename T>
Answer<T> to_answer(const PendingQuery& query, std::optional<T> (*decode)(Rdata)) {
    Answer<T> answer;
    if (query.error != 0) {
        answer.status = query.error == UB_SERVFAIL ? Status::servfail : Status::error;
        answer.why = ub_strerror(query.error);
        return answer;
    }
    const ub_result& result = *query.result;
    answer.secure = result.secure != 0;
    answer.ttl = static_cast<std::uint32_t>(std::max(result.ttl, 0));
    if (result.canonname && result.qname && !same_name(result.canonname, result.qname)) {
        answer.canonical_name = without_root_dot(result.canonname);
    }
    if (result.bogus) {
        answer.status = Status::servfail;
        answer.why = std::string("DNSSEC validation failed: ") +
                     (result.why_bogus ? result.why_bogus : "bogus");
    } else if (result.rcode == rcode_nxdomain) {
        answer.status = Status::nxdomain;
    } else if (result.rcode != 0) {
        // RFC 7208 5 and RFC 5321 5.1: an RCODE other than 0 or 3 is a temporary failure.
        answer.status = Status::servfail;
        answer.why = "server answered RCODE " + std::to_string(result.rcode);
    } else if (!result.havedata) {
        answer.status = Status::nodata;
    } else {
        answer.status = Status::ok;
        for (int i = 0; result.data[i]; ++i) {
            const auto* bytes = reinterpret_cast<const std::uint8_t*>(result.data[i]);
            auto record = decode(Rdata(bytes, static_cast<std::size_t>(result.len[i])));
            if (!record) {
                answer.status = Status::error;
                answer.why = "malformed record data";
                answer.records.clear();
                break;
            }
            answer.records.push_back(std::move(*record));
        }
    }
    return answer;
}

}  // namespace

Result<std::unique_ptr<UnboundResolver>> UnboundResolver::create(
    boost::asio::any_io_executor executor, const UnboundOptions& options) {
    ub_ctx* created = ub_ctx_create();
    if (!created) return Error{"dns: cannot create a libunbound context"};
    std::shared_ptr<ub_ctx> context(created, ub_ctx_delete);
    auto failed = [](const std::string& what, int code) {
        return Error{"dns: " + what + ": " + ub_strerror(code)};
    };
    // Resolve in a thread rather than a forked process: forking a threaded server is unsafe.
    if (int rc = ub_ctx_async(context.get(), 1)) return failed("async mode", rc);
    for (const auto& option : options_set) {
        if (int rc = ub_ctx_set_option(context.get(), option.name, option.value)) {
            return failed(option.name, rc);
        }
    }
    for (const auto& server : options.servers) {
        const auto address = forwarder_address(server);
        if (!address) return Error{"dns: bad server address '" + server + "'"};
        if (int rc = ub_ctx_set_fwd(context.get(), address->c_str())) {
            return failed("server '" + server + "'", rc);
        }
    }
    if (options.servers.empty()) {
        if (int rc = ub_ctx_resolvconf(context.get(), "/etc/resolv.conf")) {
            return failed("/etc/resolv.conf", rc);
        }
    }
    if (!options.trust_anchor_file.empty()) {
        // libunbound reads the file only once it first resolves: say now what is wrong.
        if (!std::ifstream(options.trust_anchor_file)) {
            return Error{"dns: cannot read the trust anchor file " +
                         options.trust_anchor_file.string()};
        }
        if (int rc = ub_ctx_add_ta_file(context.get(), options.trust_anchor_file.c_str())) {
            return failed(options.trust_anchor_file.string(), rc);
        }
    }
    // Last: removing a zone finalises the context, after which options are refused.
    for (const char* zone : forwarded_special_zones) {
        if (int rc = ub_ctx_zone_remove(context.get(), zone)) return failed(zone, rc);
    }
    if (ub_fd(context.get()) < 0) return Error{"dns: libunbound has no result descriptor"};
    return std::unique_ptr<UnboundResolver>(
        new UnboundResolver(std::move(executor), std::move(context), options.timeout));
}

UnboundResolver::UnboundResolver(boost::asio::any_io_executor executor,
                                 std::shared_ptr<ub_ctx> context, std::chrono::milliseconds timeout)
    : context_(std::move(context)),
      results_(std::move(executor), ub_fd(context_.get())),
      timeout_(timeout) {}

UnboundResolver::~UnboundResolver() {
    results_.release();
}

template <typename T>
asio::awaitable<Answer<T>> UnboundResolver::lookup(std::string name, int type, Decoder<T> decode) {
    Answer<T> answer;
    if (name.empty() || name.find('\0') != std::string::npos) {
        answer.why = "invalid name";
        co_return answer;
    }
    PendingQuery query(results_.get_executor());
    int id = 0;
    if (int rc = ub_resolve_async(context_.get(), name.c_str(), type, class_in, &query, on_result,
                                  &id)) {
        answer.why = ub_strerror(rc);
        co_return answer;
    }
    const QueryGuard guard(context_, id, query);
    query.wake.expires_after(timeout_);
    while (!query.done) {
        // The reactor reports readiness edges: results may already wait in the pipe unseen.
        if (!ub_poll(context_.get())) {
            auto woken = co_await (results_.async_wait(asio::posix::descriptor_base::wait_read,
                                                       asio::as_tuple(asio::use_awaitable)) ||
                                   query.wake.async_wait(asio::as_tuple(asio::use_awaitable)));
            if (woken.index() == 1) {
                if (!query.done && !std::get<0>(std::get<1>(woken))) {
                    answer.status = Status::timeout;
                    answer.why = "no answer within " + std::to_string(timeout_.count()) + " ms";
                    co_return answer;
                }
                continue;  // woken by the callback (or cancelled: wait on until the deadline)
            }
        }
        if (int rc = ub_process(context_.get())) {
            answer.why = std::string("libunbound: ") + ub_strerror(rc);
            co_return answer;
        }
    }
    co_return to_answer(query, decode);
}

asio::awaitable<Answer<MxRecord>> UnboundResolver::mx(std::string_view name) {
    co_return co_await lookup<MxRecord>(std::string(name), type_mx, decode_mx);
}

asio::awaitable<Answer<std::string>> UnboundResolver::a(std::string_view name) {
    co_return co_await lookup<std::string>(std::string(name), type_a, decode_ipv4);
}

asio::awaitable<Answer<std::string>> UnboundResolver::aaaa(std::string_view name) {
    co_return co_await lookup<std::string>(std::string(name), type_aaaa, decode_ipv6);
}

asio::awaitable<Answer<std::string>> UnboundResolver::txt(std::string_view name) {
    co_return co_await lookup<std::string>(std::string(name), type_txt, decode_txt);
}

asio::awaitable<Answer<std::string>> UnboundResolver::ptr(std::string_view ip) {
    const auto name = reverse_name(ip);
    if (!name) {
        Answer<std::string> answer;
        answer.why = "not an IP address";
        co_return answer;
    }
    co_return co_await lookup<std::string>(*name, type_ptr, decode_name);
}

asio::awaitable<Answer<TlsaRecord>> UnboundResolver::tlsa(std::string_view name) {
    co_return co_await lookup<TlsaRecord>(std::string(name), type_tlsa, decode_tlsa);
}

}  // namespace herald::dns
