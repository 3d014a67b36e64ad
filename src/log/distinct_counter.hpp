#pragma once
// Counts distinct values by their 64-bit hashes in one flat open-addressing table: the
// summary keeps one per sender, user and client IP, so it must stay small and allocate only
// when it grows. Two values whose hashes collide count once (odds 2^-64 per pair).
#include <cstddef>
#include <cstdint>
#include <memory>

namespace herald::log {

class DistinctCounter {
  public:
    void insert(std::uint64_t hash) {
        if (hash == kEmpty) hash = 1;  // 0 marks a free slot
        if ((size_ + 1) * 2 > capacity_) grow();
        place(hash);
    }
    std::size_t size() const { return size_; }

  private:
    static constexpr std::uint64_t kEmpty = 0;

    void place(std::uint64_t hash) {
        std::size_t mask = capacity_ - 1;
        for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
            if (slots_[i] == hash) return;
            if (slots_[i] == kEmpty) {
                slots_[i] = hash;
                ++size_;
                return;
            }
        }
    }

    void grow() {
        auto old = std::move(slots_);
        std::size_t old_capacity = capacity_;
        capacity_ = capacity_ == 0 ? 8 : capacity_ * 2;
        slots_ = std::make_unique<std::uint64_t[]>(capacity_);  // zeroed: all free
        size_ = 0;
        for (std::size_t i = 0; i < old_capacity; ++i) {
            if (old[i] != kEmpty) place(old[i]);
        }
    }

    std::unique_ptr<std::uint64_t[]> slots_;
    std::size_t capacity_ = 0;  // a power of two, at most half full
    std::size_t size_ = 0;
};

}  // namespace herald::log
