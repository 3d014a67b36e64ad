#pragma once
// Names that must be unique within one array of tables (listener addresses, user and
// transport names, DKIM domain+selector), each with the line that claimed it first.
// A map, so that a config with thousands of entries is checked in n log n, not n².
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace herald::config {

class UniqueNames {
  public:
    // Records name at line; when an earlier entry has it, returns that entry's line instead.
    std::optional<std::size_t> claim(std::string name, std::size_t line) {
        auto [it, inserted] = lines_.emplace(std::move(name), line);
        return inserted ? std::nullopt : std::optional<std::size_t>(it->second);
    }
    bool contains(std::string_view name) const { return lines_.find(name) != lines_.end(); }

  private:
    std::map<std::string, std::size_t, std::less<>> lines_;
};

}  // namespace herald::config
