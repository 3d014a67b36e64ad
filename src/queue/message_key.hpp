#pragma once
// A queued message's id as the scheduler and the census keep it. A million queued messages
// are a few million keys: an id (20 characters) fits in this string's own 24 bytes, where a
// std::string of 32 bytes would allocate 32 more for each (docs/performance.md).
#include <boost/container/string.hpp>

#include <cstddef>
#include <functional>
#include <string_view>

namespace herald::queue {

using MessageKey = boost::container::string;

inline MessageKey key_of(std::string_view id) {
    return MessageKey(id.data(), id.size());
}

struct MessageKeyHash {
    std::size_t operator()(const MessageKey& key) const noexcept {
        return std::hash<std::string_view>{}(std::string_view(key.data(), key.size()));
    }
};

}  // namespace herald::queue
