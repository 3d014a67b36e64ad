#include "config/diagnostics.hpp"

#include <algorithm>

namespace herald::config {

void Diagnostics::add(std::size_t line, std::string_view what) {
    if (errors_.size() >= kMaxErrors) {
        ++dropped_;
        return;
    }
    errors_.emplace_back(line, file_ + ":" + std::to_string(line) + ": " + std::string(what));
}

std::vector<std::string> Diagnostics::take() {
    std::stable_sort(errors_.begin(), errors_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::string> out;
    out.reserve(errors_.size());
    for (auto& [line, text] : errors_) out.push_back(std::move(text));
    if (dropped_ > 0) {
        out.push_back(file_ + ":0: " + std::to_string(dropped_) + " more errors not shown");
    }
    errors_.clear();
    dropped_ = 0;
    return out;
}

}  // namespace herald::config
