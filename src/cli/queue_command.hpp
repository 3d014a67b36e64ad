#pragma once
#include "cli/app.hpp"

namespace herald::cli {
void add_queue_command(CLI::App& app, const GlobalOptions& global, int& exit_code);
}
