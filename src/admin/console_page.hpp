#pragma once
// The web console: one self-contained page (no external assets) that calls the JSON API with
// fetch(). Queue data is attacker-controlled (senders, errors), so the page only ever puts
// it into the document as text, never as markup.
#include <string_view>

namespace herald::admin {

extern const std::string_view kConsolePage;

}  // namespace herald::admin
