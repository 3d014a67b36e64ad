#include "cli/config_loading.hpp"

#include <fmt/core.h>

#include "config/reload_guard.hpp"
#include "delivery/router.hpp"
#include "events/event_pipeline.hpp"
#include "net/serving_files.hpp"
#include "policy/policies.hpp"

namespace herald::cli {

namespace {

// Every line, and whether there was any.
bool report(const std::vector<std::string>& problems) {
    for (const auto& problem : problems) fmt::print(stderr, "{}\n", problem);
    return !problems.empty();
}

std::vector<std::string> at_line_zero(const std::filesystem::path& path,
                                      std::vector<std::string> reasons) {
    for (auto& reason : reasons) reason = path.string() + ":0: " + reason;
    return reasons;
}

}  // namespace

std::optional<config::Config> load_config_or_report(const std::filesystem::path& path) {
    auto loaded = config::load_file(path);
    report(loaded.errors);
    if (!loaded.config) return std::nullopt;
    // What only the assembled parts can tell, every problem of each.
    bool trouble = report(at_line_zero(path, delivery::Router::unbuildable(*loaded.config)));
    trouble = report(at_line_zero(path, events::unusable(*loaded.config))) || trouble;
    if (auto why = policy::Policies::unloadable(*loaded.config)) trouble = report({*why});
    if (trouble) return std::nullopt;
    return loaded.config;
}

std::optional<config::Config> load_serving_config_or_report(const std::filesystem::path& path) {
    auto config = load_config_or_report(path);
    if (!config) return std::nullopt;
    bool trouble = report(net::serving_file_problems(*config));
    if (auto error = config::missing_listener_error(*config); !error.empty()) {
        trouble = report({error});
    }
    if (trouble) return std::nullopt;
    return config;
}

}  // namespace herald::cli
