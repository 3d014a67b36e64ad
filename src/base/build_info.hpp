#pragma once
// What this binary is: its version and the git commit it was built from
// (cmake/build_info.cmake writes their definitions at every build). `herald --version` and
// the mainlog's start line print them, so a log says which build wrote it.
#include <string>
#include <string_view>

namespace herald {

std::string_view version();
std::string_view build_commit();  // 12 hex digits, "-dirty" when built from a changed tree

// "herald 0.1.0 (commit 0123456789ab)"
inline std::string version_line() {
    return "herald " + std::string(version()) + " (commit " + std::string(build_commit()) + ")";
}

}  // namespace herald
