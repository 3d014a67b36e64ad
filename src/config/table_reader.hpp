#pragma once
// Reads the keys of one TOML table into typed fields, reporting every problem with its line,
// and at the end every key that nobody asked for: most often a typo that would otherwise be
// silently ignored.
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "config/diagnostics.hpp"
#include "config/toml.hpp"

namespace herald::config {

template <typename E>
struct Choice {
    std::string_view name;
    E value;
};

class TableReader {
  public:
    // name: how messages call the table ("server", "listener", "dkim.key"); empty for the
    // document root, whose keys are sections.
    TableReader(const toml::table& table, std::string name, Diagnostics& diagnostics);

    // Each read marks the key as known and leaves out alone when the key is absent or bad;
    // it returns true when the key was present with a valid value.
    bool read(std::string_view key, std::string& out);
    bool read(std::string_view key, bool& out);
    bool read(std::string_view key, std::filesystem::path& out);
    bool read(std::string_view key, std::vector<std::string>& out);
    bool read_count(std::string_view key, std::size_t& out, std::size_t minimum = 0);
    bool read_port(std::string_view key, std::uint16_t& out);
    bool read_duration(std::string_view key, Seconds& out, Seconds minimum = Seconds{1});
    bool read_durations(std::string_view key, std::vector<Seconds>& out);
    bool read_size(std::string_view key, std::size_t& out);
    // An integer or a float, strictly between `above` and `below`.
    bool read_number(std::string_view key, double& out, double above, double below);
    template <typename E, std::size_t N>
    bool read_choice(std::string_view key, E& out, const std::array<Choice<E>, N>& choices);

    // Sub-tables: [key] (nullptr when absent) and [[key]] (empty when absent).
    const toml::table* table(std::string_view key);
    std::vector<const toml::table*> tables(std::string_view key);

    bool has(std::string_view key) const;
    void require(std::string_view key);               // reports the key when it is missing
    std::size_t line() const;                         // of the table's header
    std::size_t line_of(std::string_view key) const;  // the table's line when absent
    // "name.key <what>", at the key's line.
    void error(std::string_view key, std::string_view what);
    std::string qualified(std::string_view key) const;
    Diagnostics& diagnostics() { return diagnostics_; }

    // Reports every key that no read or has() asked about.
    void report_unknown_keys();

  private:
    const toml::node* find(std::string_view key);
    template <typename T>
    const T* typed(std::string_view key, std::string_view expected);
    std::optional<Seconds> duration_value(std::string_view key, const toml::node& node);

    const toml::table& table_;
    std::string name_;
    Diagnostics& diagnostics_;
    std::set<std::string, std::less<>> known_;
};

template <typename E, std::size_t N>
bool TableReader::read_choice(std::string_view key, E& out,
                              const std::array<Choice<E>, N>& choices) {
    std::string text;
    if (!read(key, text)) return false;
    std::string names;
    for (const auto& choice : choices) {
        if (choice.name == text) {
            out = choice.value;
            return true;
        }
        names += (names.empty() ? "" : ", ") + std::string(choice.name);
    }
    error(key, "must be one of " + names + " (got '" + text + "')");
    return false;
}

}  // namespace herald::config
