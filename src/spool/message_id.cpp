#include "spool/message_id.hpp"

#include <pthread.h>
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

constexpr std::uint64_t kCounterMask = (std::uint64_t{1} << (5 * kCounterDigits)) - 1;

// A forked child (sendmail started by the server, a test) must not repeat its parent's ids:
// fork() marks the sequence stale (held across the fork, so the child's copy of the mutex is
// free), where a getpid() on every id cost a system call three times a relayed message.
struct Generator {
    std::mutex mutex;
    bool seeded = false;
    MessageIdSequence sequence{0};

    Generator() {
        ::pthread_atfork([] { generator().mutex.lock(); }, [] { generator().mutex.unlock(); },
                         [] {
                             generator().seeded = false;
                             generator().mutex.unlock();
                         });
    }
    static Generator& generator();
};

Generator& Generator::generator() {
    static Generator g;
    return g;
}

}  // namespace

MessageIdSequence::MessageIdSequence(std::uint64_t random)
    : random_(random), counter_((random >> 32) & kCounterMask) {}

std::string MessageIdSequence::next(std::uint64_t now_micros) {
    // Never backwards, even if the clock is stepped: ids stay sorted within a process.
    last_micros_ = std::max(last_micros_, now_micros);
    counter_ = (counter_ + 1) & kCounterMask;
    // The counter starts at a random value, so it can wrap within one microsecond: borrow
    // the next microsecond then, or the id after "zzzz" would sort before the one before it.
    if (counter_ == 0) ++last_micros_;
    std::string id;
    id.reserve(kMessageIdLength);
    append_base32(id, last_micros_, kTimeDigits);
    append_base32(id, counter_, kCounterDigits);
    append_base32(id, random_, kRandomDigits);
    return id;
}

std::string new_message_id() {
    auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    Generator& g = Generator::generator();
    std::lock_guard lock(g.mutex);
    if (!g.seeded) {
        g.seeded = true;
        g.sequence = MessageIdSequence(random_bits());
    }
    return g.sequence.next(static_cast<std::uint64_t>(std::max<long long>(now, 0)));
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
