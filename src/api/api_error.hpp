#pragma once
// The errors of the HTTP API (docs/api.md): a status and a JSON body
// {"code": "...", "message": "..."[, "recipient": "..."]}, the same for every /api/v1 endpoint.
#include <string_view>

#include "admin/http_types.hpp"

namespace herald::api {

admin::HttpResponse api_error(unsigned status, std::string_view code, std::string_view message,
                              std::string_view recipient = {});

// 401 with WWW-Authenticate, saying whether a key was missing or not valid.
admin::HttpResponse unauthorized(const admin::HttpRequest& request);

}  // namespace herald::api
