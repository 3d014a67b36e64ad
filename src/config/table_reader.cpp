#include "config/table_reader.hpp"

#include <algorithm>
#include <limits>

#include <fmt/core.h>

#include "config/value_formats.hpp"

namespace herald::config {

namespace {

std::string_view type_name(toml::node_type type) {
    switch (type) {
        case toml::node_type::table:
            return "a table";
        case toml::node_type::array:
            return "an array";
        case toml::node_type::string:
            return "a string";
        case toml::node_type::integer:
            return "an integer";
        case toml::node_type::floating_point:
            return "a float";
        case toml::node_type::boolean:
            return "a boolean";
        case toml::node_type::date:
            return "a date";
        case toml::node_type::time:
            return "a time";
        case toml::node_type::date_time:
            return "a date-time";
        default:
            return "nothing";
    }
}

std::size_t line_of_node(const toml::node& node) {
    return node.source().begin.line;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// Suggestions cost an edit distance per known key: only for a few keys of sane length.
constexpr std::size_t kMaxKeyForSuggestion = 64;
constexpr std::size_t kMaxSuggestions = 20;

}  // namespace

TableReader::TableReader(const toml::table& table, std::string name, Diagnostics& diagnostics)
    : table_(table), name_(std::move(name)), diagnostics_(diagnostics) {}

std::string TableReader::qualified(std::string_view key) const {
    return name_.empty() ? std::string(key) : name_ + "." + std::string(key);
}

const toml::node* TableReader::find(std::string_view key) {
    known_.emplace(key);
    return table_.get(key);
}

template <typename T>
const T* TableReader::typed(std::string_view key, std::string_view expected) {
    const toml::node* node = find(key);
    if (node == nullptr) return nullptr;
    if (const T* value = node->as<T>()) return value;
    error(key,
          "must be " + std::string(expected) + ", not " + std::string(type_name(node->type())));
    return nullptr;
}

bool TableReader::read(std::string_view key, std::string& out) {
    const auto* value = typed<toml::value<std::string>>(key, "a string");
    if (value == nullptr) return false;
    out = value->get();
    return true;
}

bool TableReader::read(std::string_view key, bool& out) {
    const auto* value = typed<toml::value<bool>>(key, "true or false");
    if (value == nullptr) return false;
    out = value->get();
    return true;
}

bool TableReader::read(std::string_view key, std::filesystem::path& out) {
    std::string text;
    if (!read(key, text)) return false;
    if (text.empty() || text.find('\0') != std::string::npos) {
        error(key, "must be a non-empty path");
        return false;
    }
    out = text;
    return true;
}

bool TableReader::read(std::string_view key, std::vector<std::string>& out) {
    const auto* array = typed<toml::array>(key, "an array of strings");
    if (array == nullptr) return false;
    std::vector<std::string> values;
    for (const auto& element : *array) {
        const auto* text = element.as_string();
        if (text == nullptr) {
            diagnostics_.add(line_of_node(element), qualified(key) +
                                                        " must hold only strings, not " +
                                                        std::string(type_name(element.type())));
            return false;
        }
        values.push_back(text->get());
    }
    out = std::move(values);
    return true;
}

bool TableReader::read_count(std::string_view key, std::size_t& out, std::size_t minimum) {
    const auto* value = typed<toml::value<std::int64_t>>(key, "an integer");
    if (value == nullptr) return false;
    const std::int64_t n = value->get();
    if (n < 0 || static_cast<std::uint64_t>(n) < minimum) {
        error(key,
              "must be at least " + std::to_string(minimum) + " (got " + std::to_string(n) + ")");
        return false;
    }
    out = static_cast<std::size_t>(n);
    return true;
}

bool TableReader::read_number(std::string_view key, double& out, double above, double below) {
    const toml::node* node = find(key);
    if (node == nullptr) return false;
    std::optional<double> value;
    if (const auto* d = node->as_floating_point()) value = d->get();
    if (const auto* i = node->as_integer()) value = static_cast<double>(i->get());
    if (!value) {
        diagnostics_.add(line_of_node(*node), qualified(key) + " must be a number, not " +
                                                  std::string(type_name(node->type())));
        return false;
    }
    if (!(*value > above && *value < below)) {
        error(key,
              fmt::format("must be more than {} and less than {} (got {})", above, below, *value));
        return false;
    }
    out = *value;
    return true;
}

bool TableReader::read_port(std::string_view key, std::uint16_t& out) {
    const auto* value = typed<toml::value<std::int64_t>>(key, "an integer");
    if (value == nullptr) return false;
    const std::int64_t n = value->get();
    if (n < 1 || n > 65535) {
        error(key, "is out of range 1-65535 (got " + std::to_string(n) + ")");
        return false;
    }
    out = static_cast<std::uint16_t>(n);
    return true;
}

std::optional<Seconds> TableReader::duration_value(std::string_view key, const toml::node& node) {
    if (const auto* seconds = node.as_integer();
        seconds != nullptr && seconds->get() >= 0 && seconds->get() <= kMaxDuration.count()) {
        return Seconds{seconds->get()};
    }
    if (node.is_integer()) {
        diagnostics_.add(line_of_node(node), qualified(key) + " must be between 0 and " +
                                                 std::to_string(kMaxDuration.count()) + " seconds");
        return std::nullopt;
    }
    if (const auto* text = node.as_string()) {
        if (auto parsed = parse_duration(text->get())) return parsed;
        diagnostics_.add(line_of_node(node),
                         qualified(key) + ": '" + text->get() +
                             "' is not a duration (a number and a unit: 30s, 5m, 1h, 5d)");
        return std::nullopt;
    }
    diagnostics_.add(line_of_node(node), qualified(key) +
                                             " must be a duration such as \"5m\", not " +
                                             std::string(type_name(node.type())));
    return std::nullopt;
}

bool TableReader::read_duration(std::string_view key, Seconds& out, Seconds minimum) {
    const toml::node* node = find(key);
    if (node == nullptr) return false;
    auto value = duration_value(key, *node);
    if (!value) return false;
    if (*value < minimum) {
        error(key, "must be at least " + std::to_string(minimum.count()) + "s");
        return false;
    }
    out = *value;
    return true;
}

bool TableReader::read_durations(std::string_view key, std::vector<Seconds>& out) {
    const auto* array = typed<toml::array>(key, "an array of durations");
    if (array == nullptr) return false;
    std::vector<Seconds> values;
    for (const auto& element : *array) {
        auto value = duration_value(key, element);
        if (!value) return false;
        if (value->count() == 0) {
            diagnostics_.add(line_of_node(element),
                             qualified(key) + " must hold positive durations");
            return false;
        }
        values.push_back(*value);
    }
    if (values.empty()) {
        error(key, "must not be empty");
        return false;
    }
    out = std::move(values);
    return true;
}

bool TableReader::read_size(std::string_view key, std::size_t& out) {
    const toml::node* node = find(key);
    if (node == nullptr) return false;
    std::optional<std::size_t> size;
    if (const auto* n = node->as_integer(); n != nullptr && n->get() > 0) {
        size = static_cast<std::size_t>(n->get());
    } else if (const auto* text = node->as_string()) {
        size = parse_size(text->get());
    }
    if (!size || *size == 0) {
        error(key, "must be a positive size in bytes, e.g. 35000000 or \"35M\"");
        return false;
    }
    out = *size;
    return true;
}

const toml::table* TableReader::table(std::string_view key) {
    return typed<toml::table>(key, "a table ([" + qualified(key) + "])");
}

std::vector<const toml::table*> TableReader::tables(std::string_view key) {
    const auto* array = typed<toml::array>(key, "an array of tables ([[" + qualified(key) + "]])");
    std::vector<const toml::table*> out;
    if (array == nullptr) return out;
    for (const auto& element : *array) {
        if (const auto* t = element.as_table()) {
            out.push_back(t);
        } else {
            diagnostics_.add(line_of_node(element), qualified(key) + " must hold tables ([[" +
                                                        qualified(key) + "]]), not " +
                                                        std::string(type_name(element.type())));
        }
    }
    return out;
}

bool TableReader::has(std::string_view key) const {
    return table_.contains(key);
}

void TableReader::require(std::string_view key) {
    known_.emplace(key);
    if (!has(key)) diagnostics_.add(line(), qualified(key) + " is required");
}

std::size_t TableReader::line() const {
    return line_of_node(table_);
}

std::size_t TableReader::line_of(std::string_view key) const {
    const toml::node* node = table_.get(key);
    return node == nullptr ? line() : line_of_node(*node);
}

void TableReader::error(std::string_view key, std::string_view what) {
    diagnostics_.add(line_of(key), qualified(key) + " " + std::string(what));
}

void TableReader::report_unknown_keys() {
    std::size_t suggested = 0;
    for (const auto& [key, node] : table_) {
        if (known_.contains(key.str())) continue;
        std::string what = name_.empty()
                               ? "unknown section '" + std::string(key.str()) + "'"
                               : "unknown key '" + std::string(key.str()) + "' in " + name_;
        if (key.str().size() <= kMaxKeyForSuggestion && ++suggested <= kMaxSuggestions) {
            for (const auto& candidate : known_) {
                if (edit_distance(key.str(), candidate) <= 2) {
                    what += " (did you mean '" + candidate + "'?)";
                    break;
                }
            }
        }
        diagnostics_.add(key.source().begin.line, what);
    }
}

}  // namespace herald::config
