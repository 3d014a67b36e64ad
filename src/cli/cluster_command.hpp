#pragma once
// `herald cluster status [--json]`: the nodes of the cluster as Redis knows them (their
// heartbeats), read straight from Redis so that it works from any machine with the config,
// whether or not a node runs here.
#include <CLI/CLI.hpp>

#include "cli/app.hpp"

namespace herald::cli {

void add_cluster_command(CLI::App& app, const GlobalOptions& global, int& exit_code);

}  // namespace herald::cli
