#pragma once
// The console's files as they are in src/admin/console/, compiled in by CMakeLists.txt
// (cmake/console_files.cpp.in). console_page.hpp serves them.
#include <string_view>

namespace herald::admin {

extern const std::string_view kConsoleHtml;
extern const std::string_view kConsoleCss;
extern const std::string_view kConsoleJs;

}  // namespace herald::admin
