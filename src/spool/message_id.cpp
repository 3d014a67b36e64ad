#include "spool/message_id.hpp"

#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mutex>

namespace herald::spool {
namespace {

constexpr std::string_view kAlphabet = "0123456789abcdefghjkmnpqrstvwxyz";
constexpr int kTimeDigits = 11;
constexpr int kCounterDigits = 4;
constexpr int kRandomDigits = 5;
static_assert(kTimeDigits + kCounterDigits + kRandomDigits == kMessageIdLength);

void append_base32(std::string& out, std::uint64_t value, int digits) {
    for (int i = digits - 1; i >= 0; --i) out.push_back(kAlphabet[(value >> (5 * i)) & 31]);
}

std::uint64_t random_bits() {
    std::uint64_t value = 0;
    if (::getrandom(&value, sizeof value, 0) != static_cast<ssize_t>(sizeof value)) {
        // No entropy source: fall back on what differs between two injecting processes.
        value =
            static_cast<std::uint64_t>(::getpid()) * 0x9E3779B97F4A7C15ull ^
            static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    }
    return value;
}

struct Generator {
    std::mutex mutex;
    pid_t pid = -1;
    std::uint64_t random = 0;
    std::uint64_t counter = 0;
    std::uint64_t last_micros = 0;
};

Generator& generator() {
    static Generator g;
    return g;
}

}  // namespace

std::string new_message_id() {
    auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    Generator& g = generator();
    std::lock_guard lock(g.mutex);
    // A forked child (sendmail started by the server, a test) must not repeat its parent.
    if (pid_t pid = ::getpid(); pid != g.pid) {
        g.pid = pid;
        g.random = random_bits();
        g.counter = g.random >> 32;
    }
    // Never backwards, even if the clock is stepped: ids stay sorted within a process.
    g.last_micros =
        std::max(g.last_micros, static_cast<std::uint64_t>(std::max<long long>(now, 0)));
    ++g.counter;
    std::string id;
    id.reserve(kMessageIdLength);
    append_base32(id, g.last_micros, kTimeDigits);
    append_base32(id, g.counter, kCounterDigits);
    append_base32(id, g.random, kRandomDigits);
    return id;
}

bool is_generated_message_id(std::string_view id) {
    return id.size() == kMessageIdLength && std::all_of(id.begin(), id.end(), [](char c) {
               return kAlphabet.find(c) != std::string_view::npos;
           });
}

bool is_valid_message_id(std::string_view id) {
    return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_';
    });
}

}  // namespace herald::spool
