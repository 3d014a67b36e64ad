#pragma once
#include "cli/app.hpp"

namespace herald::cli {
// herald trace QUERY [--json] [--log-dir D]
void add_trace_command(CLI::App& app, const GlobalOptions& global, int& exit_code);
}  // namespace herald::cli
