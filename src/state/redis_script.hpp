#pragma once
// A Lua script run inside Redis, so that what it reads and writes is one atomic step for all
// the nodes; known to Redis by the SHA-1 of its text (EVALSHA).
#include <string>

namespace herald::state {

struct RedisScript {
    explicit RedisScript(std::string source);
    std::string text;
    std::string sha1;  // lower-case hex
};

}  // namespace herald::state
