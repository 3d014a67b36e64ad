#pragma once
// `herald reload`: the running server reads its config again (as on SIGHUP).
#include <CLI/CLI.hpp>

#include "cli/app.hpp"

namespace herald::cli {

void add_reload_command(CLI::App& app, const GlobalOptions& global, int& exit_code);

}  // namespace herald::cli
