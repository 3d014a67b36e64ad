#include "config/config.hpp"

#include <algorithm>

namespace herald::config {

namespace {

template <typename T>
const T* find_by_name(const std::vector<T>& items, std::string_view name) {
    auto it =
        std::find_if(items.begin(), items.end(), [&](const T& item) { return item.name == name; });
    return it == items.end() ? nullptr : &*it;
}

}  // namespace

const Transport* Config::find_transport(std::string_view name) const {
    return find_by_name(transports, name);
}

const User* Config::find_user(std::string_view name) const {
    return find_by_name(users, name);
}

const IpPool* Config::find_ip_pool(std::string_view name) const {
    return find_by_name(ip_pools, name);
}

const Provider* Config::find_provider(std::string_view name) const {
    return find_by_name(providers, name);
}

}  // namespace herald::config
