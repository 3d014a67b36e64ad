#pragma once
// `herald cluster status [--json]`: the nodes of the cluster as Redis knows them (their
// heartbeats), read straight from Redis so that it works from any machine with the config,
// whether or not a node runs here.
#include <CLI/CLI.hpp>

#include "cli/app.hpp"
#include "config/config.hpp"
#include "suppression/suppression_list.hpp"

namespace herald::cli {

void add_cluster_command(CLI::App& app, const GlobalOptions& global, int& exit_code);

// In a cluster, every change `herald suppress` makes to `list` is written to Redis and told to
// the nodes at once, as a node shares its own; a change Redis cannot take now is said on
// stderr (the nodes of this machine share it when their link next comes up).
void share_with_cluster(const config::Cluster& cluster, suppression::SuppressionList& list);
// After `herald suppress import`: asks this machine's node (the config's [cluster] node) to
// merge its list with Redis, which shares what the import added.
void share_import_with_cluster(const config::Cluster& cluster);

}  // namespace herald::cli
