#include "state/redis_protocol.hpp"

#include <hiredis/hiredis.h>

namespace herald::state {

namespace {

struct FreeReply {
    void operator()(redisReply* reply) const { freeReplyObject(reply); }
};

RedisValue copy(const redisReply& reply) {
    RedisValue value;
    switch (reply.type) {
        case REDIS_REPLY_STRING:
            value.type = RedisValue::Type::string;
            break;
        case REDIS_REPLY_ARRAY:
            value.type = RedisValue::Type::array;
            break;
        case REDIS_REPLY_INTEGER:
            value.type = RedisValue::Type::integer;
            break;
        case REDIS_REPLY_STATUS:
            value.type = RedisValue::Type::status;
            break;
        case REDIS_REPLY_ERROR:
            value.type = RedisValue::Type::error;
            break;
        default:
            value.type = RedisValue::Type::nil;
            break;
    }
    if (reply.str) value.text.assign(reply.str, reply.len);
    value.integer = reply.integer;
    if (value.type == RedisValue::Type::array) {
        value.elements.reserve(reply.elements);
        for (std::size_t i = 0; i < reply.elements; ++i) {
            value.elements.push_back(copy(*reply.element[i]));
        }
    }
    return value;
}

}  // namespace

std::string encode_command(const std::vector<std::string>& args) {
    std::vector<const char*> pointers;
    std::vector<std::size_t> lengths;
    for (const auto& arg : args) {
        pointers.push_back(arg.data());
        lengths.push_back(arg.size());
    }
    char* formatted = nullptr;
    const int size = redisFormatCommandArgv(&formatted, static_cast<int>(args.size()),
                                            pointers.data(), lengths.data());
    if (size < 0 || !formatted) return {};
    std::string bytes(formatted, static_cast<std::size_t>(size));
    redisFreeCommand(formatted);
    return bytes;
}

void RedisReplyReader::FreeReader::operator()(redisReader* reader) const {
    redisReaderFree(reader);
}

RedisReplyReader::RedisReplyReader() : reader_(redisReaderCreate()) {}
RedisReplyReader::~RedisReplyReader() = default;

Status RedisReplyReader::feed(std::string_view bytes) {
    if (!reader_) return Error{"out of memory"};
    if (redisReaderFeed(reader_.get(), bytes.data(), bytes.size()) != REDIS_OK) {
        return Error{std::string("not a Redis reply: ") + reader_->errstr};
    }
    return ok_status();
}

Result<std::optional<RedisValue>> RedisReplyReader::next() {
    if (!reader_) return Error{"out of memory"};
    void* raw = nullptr;
    if (redisReaderGetReply(reader_.get(), &raw) != REDIS_OK) {
        return Error{std::string("not a Redis reply: ") + reader_->errstr};
    }
    if (!raw) return std::optional<RedisValue>();
    std::unique_ptr<redisReply, FreeReply> reply(static_cast<redisReply*>(raw));
    return std::optional<RedisValue>(copy(*reply));
}

std::size_t RedisReplyReader::buffered() const {
    return reader_ ? reader_->len - reader_->pos : 0;
}

std::string describe(const RedisValue& value) {
    switch (value.type) {
        case RedisValue::Type::integer:
            return std::to_string(value.integer);
        case RedisValue::Type::nil:
            return "(nil)";
        case RedisValue::Type::error:
            return "(error) " + value.text;
        case RedisValue::Type::array:
            return "(array of " + std::to_string(value.elements.size()) + ")";
        default:
            return value.text;
    }
}

}  // namespace herald::state
