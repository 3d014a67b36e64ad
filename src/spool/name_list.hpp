#pragma once
// File names in one block of memory, sorted once: start-up lists every queued message's id
// before it reads any (to read the oldest first), and a million ids take 29 MB here against
// 64 MB as separate strings.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace herald::spool {

class NameList {
  public:
    // A file name: at most 255 bytes (NAME_MAX); a longer one is not taken.
    void add(std::string_view name);
    void sort();  // before operator[] means "oldest first" and before contains()

    std::size_t size() const { return entries_.size(); }
    bool empty() const { return entries_.empty(); }
    std::string_view operator[](std::size_t i) const;
    bool contains(std::string_view name) const;  // after sort()

  private:
    struct Entry {
        std::uint32_t start;
        std::uint8_t length;
    };
    std::string_view view(Entry entry) const { return {text_.data() + entry.start, entry.length}; }

    std::string text_;
    std::vector<Entry> entries_;
};

}  // namespace herald::spool
