#pragma once
// Redis' wire protocol (RESP2), sans I/O: the bytes of a command, and the replies read from
// whatever bytes arrive. hiredis formats and parses (its reader is the one most Redis clients
// in C use); this file only copies its reply objects into values the rest of Herald can keep.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

struct redisReader;

namespace herald::state {

struct RedisValue {
    enum class Type { string, array, integer, nil, status, error };
    Type type = Type::nil;
    std::string text;  // string, status, error
    long long integer = 0;
    std::vector<RedisValue> elements;  // array

    bool is_error() const { return type == Type::error; }
    bool is_nil() const { return type == Type::nil; }
};

// The bytes of one command: a RESP array of bulk strings, so that any byte may be in an
// argument (no quoting, no injection).
std::string encode_command(const std::vector<std::string>& args);

// Replies parsed from a byte stream as it arrives.
class RedisReplyReader {
  public:
    RedisReplyReader();
    ~RedisReplyReader();
    RedisReplyReader(const RedisReplyReader&) = delete;
    RedisReplyReader& operator=(const RedisReplyReader&) = delete;

    // Error: the stream is not RESP (a server that is not Redis, or a broken one); nothing
    // read afterwards means anything.
    Status feed(std::string_view bytes);
    // The next whole reply; nullopt until its last byte has arrived.
    Result<std::optional<RedisValue>> next();
    // Bytes received and not yet part of a whole reply: a bound on what a server that sends
    // an endless reply can make Herald hold.
    std::size_t buffered() const;

  private:
    struct FreeReader {
        void operator()(redisReader* reader) const;
    };
    std::unique_ptr<redisReader, FreeReader> reader_;
};

// "OK", a number, a string: what a reply says, for a log line ("(error) ..." for an error).
std::string describe(const RedisValue& value);

}  // namespace herald::state
