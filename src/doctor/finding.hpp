#pragma once
// One line of the deliverability report: a check's verdict and the advice that goes with it.
#include <boost/json/array.hpp>

#include <string>
#include <vector>

namespace herald::doctor {

struct Finding {
    enum class Level { pass, warn, fail };
    Level level = Level::pass;
    std::string check;   // "spf", "dkim", "dmarc", "mx", ...
    std::string detail;  // what was found and, when it is not a pass, what to do
};

// "FAIL spf: ...": one finding.
std::string to_line(const Finding& finding);
// "PASS spf: ...", one line per finding.
std::string to_text(const std::vector<Finding>& findings);
boost::json::array to_json(const std::vector<Finding>& findings);
bool any_failure(const std::vector<Finding>& findings);

}  // namespace herald::doctor
