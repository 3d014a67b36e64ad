#include "cli/config_loading.hpp"

#include <fmt/core.h>

#include "config/reload_guard.hpp"
#include "delivery/router.hpp"
#include "events/event_pipeline.hpp"
#include "policy/policies.hpp"

namespace herald::cli {

std::optional<config::Config> load_config_or_report(const std::filesystem::path& path) {
    auto loaded = config::load_file(path);
    for (const auto& error : loaded.errors) fmt::print(stderr, "{}\n", error);
    if (!loaded.config) return std::nullopt;
    // What only the assembled parts can tell: every transport can be built.
    if (auto why = delivery::Router::unbuildable(*loaded.config)) {
        fmt::print(stderr, "{}:0: {}\n", path.string(), *why);
        return std::nullopt;
    }
    if (auto why = events::unusable(*loaded.config)) {
        fmt::print(stderr, "{}:0: {}\n", path.string(), *why);
        return std::nullopt;
    }
    if (auto why = policy::Policies::unloadable(*loaded.config)) {
        fmt::print(stderr, "{}\n", *why);
        return std::nullopt;
    }
    return loaded.config;
}

std::optional<config::Config> load_serving_config_or_report(const std::filesystem::path& path) {
    auto config = load_config_or_report(path);
    if (!config) return std::nullopt;
    if (auto error = config::missing_listener_error(*config); !error.empty()) {
        fmt::print(stderr, "{}\n", error);
        return std::nullopt;
    }
    return config;
}

}  // namespace herald::cli
