#include "admin/console_page.hpp"

#include <array>
#include <utility>

#include "admin/console_files.hpp"

namespace herald::admin {

const ConsoleAsset* console_asset(std::string_view path) {
    static const std::array<std::pair<std::string_view, ConsoleAsset>, 3> kAssets = {{
        {"/", {"text/html; charset=utf-8", kConsoleHtml}},
        {"/console.css", {"text/css; charset=utf-8", kConsoleCss}},
        {"/console.js", {"text/javascript; charset=utf-8", kConsoleJs}},
    }};
    for (const auto& [at, asset] : kAssets) {
        if (at == path) return &asset;
    }
    return nullptr;
}

}  // namespace herald::admin
