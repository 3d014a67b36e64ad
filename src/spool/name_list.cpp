#include "spool/name_list.hpp"

#include <algorithm>
#include <limits>

namespace herald::spool {

void NameList::add(std::string_view name) {
    constexpr std::size_t kMaxText = std::numeric_limits<std::uint32_t>::max();
    if (name.empty() || name.size() > std::numeric_limits<std::uint8_t>::max()) return;
    if (text_.size() + name.size() > kMaxText) return;  // 16 million ids of 255 bytes
    entries_.push_back(
        {static_cast<std::uint32_t>(text_.size()), static_cast<std::uint8_t>(name.size())});
    text_.append(name);
}

void NameList::sort() {
    std::sort(entries_.begin(), entries_.end(),
              [this](Entry a, Entry b) { return view(a) < view(b); });
}

std::string_view NameList::operator[](std::size_t i) const {
    return view(entries_[i]);
}

bool NameList::contains(std::string_view name) const {
    auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                               [this](Entry entry, std::string_view n) { return view(entry) < n; });
    return it != entries_.end() && view(*it) == name;
}

}  // namespace herald::spool
