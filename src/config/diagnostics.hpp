#pragma once
// The errors found in one config file, each "file:line: what is wrong", in line order.
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald::config {

class Diagnostics {
  public:
    explicit Diagnostics(std::string file) : file_(std::move(file)) {}

    // A file of garbage yields a screenful of errors, not a million lines.
    static constexpr std::size_t kMaxErrors = 100;

    // line 0: the problem belongs to no single line (the file as a whole).
    void add(std::size_t line, std::string_view what);
    bool empty() const { return errors_.empty() && dropped_ == 0; }
    // The messages sorted by line (stable: same-line errors keep their order); beyond
    // kMaxErrors, a last line says how many more there were.
    std::vector<std::string> take();

  private:
    std::string file_;
    std::vector<std::pair<std::size_t, std::string>> errors_;
    std::size_t dropped_ = 0;
};

}  // namespace herald::config
