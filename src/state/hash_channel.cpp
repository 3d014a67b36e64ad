#include "state/hash_channel.hpp"

namespace herald::state {

namespace {

// KEYS: the hash. ARGV: the message, then field/value pairs. The channel is the hash's name.
const RedisScript kWriteAndPublish(R"lua(
if #ARGV > 1 then redis.call('HSET', KEYS[1], unpack(ARGV, 2)) end
redis.call('PUBLISH', KEYS[1], ARGV[1])
return 1
)lua");

}  // namespace

boost::asio::awaitable<Status> write_and_publish(RedisConnection& redis, const std::string& hash,
                                                 const std::string& message,
                                                 const HashFields& fields) {
    std::vector<std::string> keys{hash};
    std::vector<std::string> args{message};
    for (const auto& [field, value] : fields) {
        args.push_back(field);
        args.push_back(value);
    }
    auto reply = co_await redis.run(kWriteAndPublish, std::move(keys), std::move(args));
    if (!reply) co_return Error{reply.error()};
    if (reply->is_error()) co_return Error{reply->text};
    co_return ok_status();
}

}  // namespace herald::state
