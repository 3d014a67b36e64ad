#pragma once
// `herald dkim keygen|sign|verify` (SPEC.md): the DKIM core of mailauth/dkim/ at the shell.
#include "cli/app.hpp"

namespace herald::cli {
void add_dkim_command(CLI::App& app, const GlobalOptions& global, int& exit_code);
}
