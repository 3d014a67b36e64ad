#pragma once
#include "cli/app.hpp"

namespace herald::cli {
// herald summary [--since T] [--sender S] [--json] [--log-dir D]
void add_summary_command(CLI::App& app, const GlobalOptions& global, int& exit_code);
}  // namespace herald::cli
