#pragma once
// The web console: a single-page app of three static files (src/admin/console/, compiled in
// as they are: no build step, nothing loaded from elsewhere) that calls the JSON API with
// fetch(). Queue data is attacker-controlled (senders, headers, replies), so the script only
// ever puts it into the document as text, never as markup, and the Content-Security-Policy
// allows no inline script for an injection to use.
#include <string_view>

namespace herald::admin {

struct ConsoleAsset {
    std::string_view content_type;
    std::string_view body;
};

// The file served at `path` ("/", "/console.css", "/console.js"); nullptr for another path.
const ConsoleAsset* console_asset(std::string_view path);

// What the console's files may load and call: only themselves and the API (and the empty
// data: icon, which keeps the browser from asking for /favicon.ico without the token).
inline constexpr std::string_view kConsolePolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

}  // namespace herald::admin
