#include "dns/ttl_recording_resolver.hpp"

#include <algorithm>

namespace herald::dns {

namespace asio = boost::asio;

template <typename T>
Answer<T> TtlRecordingResolver::record(Answer<T> answer) {
    const bool authoritative =
        answer.ok() || answer.status == Status::nxdomain || answer.status == Status::nodata;
    if (authoritative) min_ttl_ = std::min(min_ttl_.value_or(answer.ttl), answer.ttl);
    return answer;
}

asio::awaitable<Answer<MxRecord>> TtlRecordingResolver::mx(std::string_view name) {
    co_return record(co_await next_.mx(name));
}

asio::awaitable<Answer<std::string>> TtlRecordingResolver::a(std::string_view name) {
    co_return record(co_await next_.a(name));
}

asio::awaitable<Answer<std::string>> TtlRecordingResolver::aaaa(std::string_view name) {
    co_return record(co_await next_.aaaa(name));
}

asio::awaitable<Answer<std::string>> TtlRecordingResolver::txt(std::string_view name) {
    co_return record(co_await next_.txt(name));
}

asio::awaitable<Answer<std::string>> TtlRecordingResolver::ptr(std::string_view ip) {
    co_return record(co_await next_.ptr(ip));
}

asio::awaitable<Answer<TlsaRecord>> TtlRecordingResolver::tlsa(std::string_view name) {
    co_return record(co_await next_.tlsa(name));
}

}  // namespace herald::dns
