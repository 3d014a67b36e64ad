#pragma once
// How many octets of arriving messages are held in memory at once, all connections together.
// A small message is kept in memory while it arrives (no file to create, write, read back and
// unlink, and no trip off the event loop for each); within this budget, whatever the number of
// connections. Thread-safe.
#include <atomic>
#include <cstddef>

namespace herald::spool {

class TextMemory {
  public:
    explicit TextMemory(std::size_t budget) : budget_(budget) {}

    // Takes n octets of the budget; false, with nothing taken, when they are not left.
    bool take(std::size_t n) {
        std::size_t used = used_.load(std::memory_order_relaxed);
        do {
            if (n > budget_ - used) return false;
        } while (!used_.compare_exchange_weak(used, used + n, std::memory_order_relaxed));
        return true;
    }
    void give(std::size_t n) { used_.fetch_sub(n, std::memory_order_relaxed); }
    std::size_t used() const { return used_.load(std::memory_order_relaxed); }

  private:
    const std::size_t budget_;
    std::atomic<std::size_t> used_{0};
};

}  // namespace herald::spool
