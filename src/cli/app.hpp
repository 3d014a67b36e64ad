#pragma once
// The command line: global options and one subcommand per file in cli/.
#include <filesystem>
#include <string>
#include <string_view>

#include "cli/default_config.hpp"

namespace CLI {
class App;
}

namespace herald::cli {

// Exit codes shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Misuse of `herald <command>`: "herald <command>: <what>" on stderr; returns kExitUsage.
int usage_error(std::string_view command, std::string_view what);

struct GlobalOptions {
    std::filesystem::path config = default_config_path();
    std::string dns;          // HOST:PORT overriding [dns] servers
    std::string dns_fixture;  // answer DNS from this YAML file
};

// Runs the command line; returns the process exit code.
int run(int argc, char** argv);

}  // namespace herald::cli
