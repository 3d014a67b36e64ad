#include "delivery/shaping_status.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "delivery/router.hpp"

namespace herald::delivery {

namespace json = boost::json;

std::string shaping_status_json(const std::vector<config::Provider>& providers,
                                const Router* router) {
    json::array list;
    for (const auto& provider : providers) {
        json::array mx;
        for (const auto& pattern : provider.mx) mx.emplace_back(pattern);
        json::object entry{{"name", provider.name},
                           {"mx", std::move(mx)},
                           {"max_connections", provider.max_connections}};
        if (router != nullptr) {
            json::object connections;
            for (const auto& [transport, count] : router->connections_to_provider(provider.name)) {
                connections[transport] = count;
            }
            entry["connections"] = std::move(connections);
        }
        list.emplace_back(std::move(entry));
    }
    return json::serialize(json::object{{"providers", std::move(list)}});
}

}  // namespace herald::delivery
