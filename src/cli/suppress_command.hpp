#pragma once
// `herald suppress add|remove|list|check|import|export`: the suppression list
// (suppression/suppression_list.hpp, docs/events.md), edited in its database directly, with
// or without a running server; the server sees each change at its next check.
#include <CLI/CLI.hpp>

#include "cli/app.hpp"

namespace herald::cli {

void add_suppress_command(CLI::App& app, const GlobalOptions& global, int& exit_code);

}  // namespace herald::cli
