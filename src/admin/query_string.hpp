#pragma once
// The query of a request target, "a=1&sender=%3C%3E&q=x+y", as decoded name/value pairs
// (application/x-www-form-urlencoded: '+' is a space, %XX a byte). A malformed escape makes
// the whole query invalid rather than guessed at.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald::admin {

class QueryString {
  public:
    static std::optional<QueryString> parse(std::string_view query);

    // The first value of `name`; nullopt when absent.
    std::optional<std::string> get(std::string_view name) const;

  private:
    std::vector<std::pair<std::string, std::string>> pairs_;
};

}  // namespace herald::admin
