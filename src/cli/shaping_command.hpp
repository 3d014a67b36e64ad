#pragma once
// `herald shaping status [--json]`: every mailbox provider known (built-in and configured)
// with its limits, and from a running server the connections open to each
// (delivery/shaping_status.hpp).
#include <CLI/CLI.hpp>

#include "cli/app.hpp"

namespace herald::cli {

void add_shaping_command(CLI::App& app, const GlobalOptions& global, int& exit_code);

}  // namespace herald::cli
