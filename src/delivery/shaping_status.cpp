#include "delivery/shaping_status.hpp"

#include <boost/json/value.hpp>

#include "delivery/router.hpp"
#include "delivery/shaping/traffic_shaper.hpp"

namespace herald::delivery {

namespace json = boost::json;

boost::json::object shaping_status(const std::vector<config::Provider>& providers,
                                   const RunningShaping* running) {
    json::array list;
    for (const auto& provider : providers) {
        json::array mx;
        for (const auto& pattern : provider.mx) mx.emplace_back(pattern);
        json::object entry{{"name", provider.name},
                           {"mx", std::move(mx)},
                           {"max_connections", provider.max_connections},
                           {"max_messages_per_connection", provider.max_messages_per_connection},
                           {"max_messages_per_minute", provider.max_messages_per_minute},
                           {"max_messages_per_hour", provider.max_messages_per_hour},
                           {"max_messages_per_day", provider.max_messages_per_day},
                           {"max_recipients_per_message", provider.max_recipients_per_message}};
        if (running != nullptr) {
            json::object connections;
            for (const auto& [transport, count] :
                 running->router.connections_to_provider(provider.name)) {
                connections[transport] = count;
            }
            entry["connections"] = std::move(connections);
            entry["sources"] = running->shaper.status(provider, running->now);
        }
        list.emplace_back(std::move(entry));
    }
    return json::object{{"providers", std::move(list)}};
}

}  // namespace herald::delivery
