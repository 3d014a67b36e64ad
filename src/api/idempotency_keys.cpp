#include "api/idempotency_keys.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace herald::api {

namespace asio = boost::asio;
namespace json = boost::json;
using Claim = IdempotencyStore::Claim;
using Clock = IdempotencyStore::Clock;

namespace {

// A claim in progress expires on its own: a node that died holding it must not block the key
// for a day.
constexpr std::chrono::minutes kClaimFor{10};

// KEYS: the key's entry. ARGV: the claim's JSON, its lifetime. Returns "" for a fresh claim,
// else what another request left there.
const state::RedisScript kClaim(R"lua(
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return '' end
return redis.call('GET', KEYS[1]) or ''
)lua");

// KEYS: the key's entry. ARGV: the request's hash. Only a claim in progress goes.
const state::RedisScript kAbandon(R"lua(
local value = redis.call('GET', KEYS[1])
if value and string.find(value, '"answered":false', 1, true) and
   string.find(value, ARGV[1], 1, true) then
  redis.call('DEL', KEYS[1])
end
return 1
)lua");

std::string entry_json(std::string_view hash, const IdempotencyStore::Answer* answer) {
    json::object entry{{"hash", hash}, {"answered", answer != nullptr}};
    if (answer) {
        entry["status"] = answer->status;
        entry["body"] = answer->body;
    }
    return json::serialize(entry);
}

// What another request left under the key, as a claim on this one.
IdempotencyStore::Claimed read_claim(std::string_view text, std::string_view hash) {
    boost::system::error_code ec;
    auto parsed = json::parse(text, ec);
    const json::object* entry = !ec && parsed.is_object() ? &parsed.as_object() : nullptr;
    const auto* stored = entry ? entry->if_contains("hash") : nullptr;
    const auto* answered = entry ? entry->if_contains("answered") : nullptr;
    // What no node wrote: let this request go rather than refuse it for a broken entry.
    if (!stored || !stored->is_string() || !answered || !answered->is_bool()) {
        return {.claim = Claim::fresh};
    }
    if (stored->as_string() != hash) return {.claim = Claim::mismatch};
    if (!answered->as_bool()) return {.claim = Claim::in_progress};
    const auto* status = entry->if_contains("status");
    const auto* body = entry->if_contains("body");
    if (!status || !status->is_int64() || !body || !body->is_string()) {
        return {.claim = Claim::fresh};
    }
    return {.claim = Claim::replay,
            .answer = {.status = static_cast<unsigned>(status->as_int64()),
                       .body = std::string(body->as_string())}};
}

}  // namespace

IdempotencyKeys::IdempotencyKeys(IdempotencyStore& local, BlockingPool& pool,
                                 state::RedisLink* link, const config::Cluster& cluster,
                                 std::chrono::seconds ttl)
    : local_(local),
      pool_(pool),
      link_(link),
      prefix_(cluster.prefix + "idempotency:"),
      ttl_(ttl) {}

std::string IdempotencyKeys::redis_key(std::string_view scope, std::string_view key) const {
    // Length-prefixed, as the journal's ids: scope "ab" with key "c" is not "a" with "bc".
    return prefix_ + std::to_string(scope.size()) + ":" + std::string(scope) + ":" +
           std::string(key);
}

asio::awaitable<IdempotencyKeys::Claimed> IdempotencyKeys::claim(std::string scope, std::string key,
                                                                 std::string request_hash) {
    Claimed local = local_.claim(scope, key, request_hash, Clock::now());
    if (local.claim != Claim::fresh || !link_ || !link_->up()) co_return local;
    std::vector<std::string> keys{redis_key(scope, key)};
    std::vector<std::string> args{entry_json(request_hash, nullptr),
                                  std::to_string(std::chrono::seconds(kClaimFor).count())};
    auto reply = co_await link_->run(kClaim, std::move(keys), std::move(args));
    if (!reply || reply->type != state::RedisValue::Type::string || reply->text.empty()) {
        co_return local;  // fresh in the cluster too, or Redis could not say: this node's
    }
    Claimed shared = read_claim(reply->text, request_hash);
    if (shared.claim != Claim::fresh) local_.abandon(scope, key);
    co_return shared;
}

asio::awaitable<bool> IdempotencyKeys::complete(std::string scope, std::string key, Answer answer) {
    // Durable here before the client hears 202: a crash after it cannot make a retry send twice.
    auto kept = co_await pool_.run([this, &scope, &key, &answer] {
        return local_.complete(scope, key, answer, Clock::now());
    });
    if (!kept) {
        co_await abandon(scope, key);
        co_return false;
    }
    if (link_ && link_->up()) {
        auto local_hash = local_.request_hash(scope, key);
        std::vector<std::string> set{"SET", redis_key(scope, key), entry_json(local_hash, &answer),
                                     "EX", std::to_string(ttl_.count())};
        (void)co_await link_->command(std::move(set));
    }
    co_return true;
}

asio::awaitable<void> IdempotencyKeys::abandon(std::string scope, std::string key) {
    const std::string hash = local_.request_hash(scope, key);
    local_.abandon(scope, key);
    if (!link_ || !link_->up() || hash.empty()) co_return;
    std::vector<std::string> keys{redis_key(scope, key)};
    std::vector<std::string> args{hash};
    (void)co_await link_->run(kAbandon, std::move(keys), std::move(args));
}

}  // namespace herald::api
