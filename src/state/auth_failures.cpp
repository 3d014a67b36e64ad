#include "state/auth_failures.hpp"

namespace herald::state {

namespace asio = boost::asio;
using Clock = policy::AuthThrottle::Clock;

namespace {

// KEYS: the address's count, the user's count, the address's lock, the user's lock (the user's
// two are absent for AUTH without a name). ARGV: the window, failures before a lockout (0:
// never), the lockout, in seconds. Returns each count and whether it just locked.
const RedisScript kFailed(R"lua(
local out = {}
for i = 1, #KEYS / 2 do
  local n = redis.call('INCR', KEYS[i])
  if n == 1 then redis.call('EXPIRE', KEYS[i], ARGV[1]) end
  local locking = 0
  local limit = tonumber(ARGV[2])
  if limit > 0 and n >= limit then
    redis.call('SET', KEYS[i + #KEYS / 2], '1', 'EX', ARGV[3])
    redis.call('DEL', KEYS[i])
    locking = 1
  end
  out[#out + 1] = n
  out[#out + 1] = locking
end
return out
)lua");

}  // namespace

AuthFailures::AuthFailures(policy::AuthThrottle& local, RedisLink* link,
                           const config::Cluster& cluster)
    : local_(local), link_(link), prefix_(cluster.prefix + "auth:") {}

std::string AuthFailures::key(std::string_view kind, std::string_view name) const {
    return prefix_ + std::string(kind) + ":" + std::string(policy::AuthThrottle::key(name));
}

asio::awaitable<bool> AuthFailures::locked(std::string client_ip, std::string user) {
    if (link_ && link_->up()) {
        std::vector<std::string> exists{"EXISTS", key("lock:ip", client_ip)};
        if (!user.empty()) exists.push_back(key("lock:user", user));
        auto reply = co_await link_->command(std::move(exists));
        if (reply && reply->type == RedisValue::Type::integer) co_return reply->integer > 0;
    }
    co_return local_.locked(client_ip, user, Clock::now());
}

asio::awaitable<policy::AuthThrottle::Failure> AuthFailures::failed(std::string client_ip,
                                                                    std::string user) {
    if (link_ && link_->up()) {
        const auto& settings = local_.settings();
        std::vector<std::string> keys{key("failures:ip", client_ip)};
        if (!user.empty()) keys.push_back(key("failures:user", user));
        keys.push_back(key("lock:ip", client_ip));
        if (!user.empty()) keys.push_back(key("lock:user", user));
        std::vector<std::string> args{std::to_string(settings.lockout.count()),
                                      std::to_string(settings.failures_before_lockout),
                                      std::to_string(settings.lockout.count())};
        auto reply = co_await link_->run(kFailed, std::move(keys), std::move(args));
        if (reply && reply->elements.size() >= 2 && reply->elements.size() <= 4) {
            policy::AuthThrottle::Failure failure;
            long long failures = 1;
            for (std::size_t i = 0; i + 1 < reply->elements.size(); i += 2) {
                failures = std::max(failures, reply->elements[i].integer);
                const bool locking = reply->elements[i + 1].integer == 1;
                (i == 0 ? failure.ip_locked : failure.user_locked) = locking;
            }
            failure.delay = local_.delay_after(static_cast<std::size_t>(failures));
            co_return failure;
        }
    }
    co_return local_.failed(client_ip, user, Clock::now());
}

asio::awaitable<void> AuthFailures::succeeded(std::string client_ip) {
    local_.succeeded(client_ip);
    if (!link_ || !link_->up()) co_return;
    std::vector<std::string> del{"DEL", key("failures:ip", client_ip)};
    (void)co_await link_->command(std::move(del));
}

}  // namespace herald::state
