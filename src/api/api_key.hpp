#pragma once
// Which [[api_key]] a request's "Authorization: Bearer <token>" names: the config keeps only
// each key's SHA-256, so the token is hashed and compared with every key, every byte, in
// time that says nothing of which key nearly matched.
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace herald::api {

const config::ApiKey* api_key_for(std::string_view authorization,
                                  const std::vector<config::ApiKey>& keys);

}  // namespace herald::api
