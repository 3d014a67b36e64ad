#pragma once
// `herald tlsrpt show [--json]`: the TLS-RPT reports (RFC 8460) of the period so far, as the
// running server would send them, and where each would go. `herald tlsrpt send`: the period
// ends now, and its reports go at once (they go after midnight UTC by themselves).
#include <CLI/CLI.hpp>

#include "cli/app.hpp"

namespace herald::cli {

void add_tlsrpt_command(CLI::App& app, const GlobalOptions& global, int& exit_code);

}  // namespace herald::cli
