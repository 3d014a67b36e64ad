#pragma once
// Commands that ask the running server to do something through its control socket:
// `herald reload` (read the config again, as on SIGHUP) and `herald logrotate` (rotate the
// logs, as on SIGUSR1).
#include <CLI/CLI.hpp>

#include "cli/app.hpp"

namespace herald::cli {

void add_control_commands(CLI::App& app, const GlobalOptions& global, int& exit_code);

}  // namespace herald::cli
