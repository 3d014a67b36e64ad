#include "doctor/finding.hpp"

#include <algorithm>

namespace herald::doctor {

namespace {

const char* level_name(Finding::Level level) {
    switch (level) {
        case Finding::Level::pass:
            return "PASS";
        case Finding::Level::warn:
            return "WARN";
        case Finding::Level::fail:
            break;
    }
    return "FAIL";
}

}  // namespace

std::string to_line(const Finding& finding) {
    return std::string(level_name(finding.level)) + " " + finding.check + ": " + finding.detail;
}

std::string to_text(const std::vector<Finding>& findings) {
    std::string out;
    for (const auto& f : findings) out += to_line(f) + "\n";
    return out;
}

boost::json::array to_json(const std::vector<Finding>& findings) {
    boost::json::array out;
    for (const auto& f : findings) {
        out.push_back({{"level", level_name(f.level)}, {"check", f.check}, {"detail", f.detail}});
    }
    return out;
}

bool any_failure(const std::vector<Finding>& findings) {
    return std::any_of(findings.begin(), findings.end(),
                       [](const Finding& f) { return f.level == Finding::Level::fail; });
}

}  // namespace herald::doctor
