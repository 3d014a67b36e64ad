#include "config/config.hpp"

#include <algorithm>

namespace herald::config {

const Transport* Config::find_transport(std::string_view name) const {
    auto it = std::find_if(transports.begin(), transports.end(),
                           [&](const Transport& t) { return t.name == name; });
    return it == transports.end() ? nullptr : &*it;
}

const User* Config::find_user(std::string_view name) const {
    auto it =
        std::find_if(users.begin(), users.end(), [&](const User& u) { return u.name == name; });
    return it == users.end() ? nullptr : &*it;
}

}  // namespace herald::config
