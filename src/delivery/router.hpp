#pragma once
// Chooses the transport for each recipient: local domains go to the local mailbox, everything
// else by the first [[route]] that matches the envelope sender.
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.hpp"
#include "config/config.hpp"
#include "delivery/transport.hpp"
#include "delivery/transport_selector.hpp"

namespace herald::delivery {

// True when `pattern` ("user@domain", "*@domain" or "*") matches `sender`. Domains compare
// case-insensitively; the null sender matches only "*".
bool route_matches(std::string_view pattern, std::string_view sender);

class Router : public TransportSelector {
  public:
    static Result<Router> from_config(const config::Config& config);

    // Never null: check-config guarantees a route for every sender.
    Transport* transport_for(std::string_view sender, std::string_view recipient) const override;
    bool is_local_domain(std::string_view domain) const;

  private:
    Router() = default;
    Result<Transport*> add_transport(const config::Transport& t);

    std::vector<std::unique_ptr<Transport>> transports_;
    std::unordered_map<std::string, Transport*> by_name_;
    std::vector<std::pair<std::string, Transport*>> routes_;
    std::vector<std::string> local_domains_;
    Transport* local_ = nullptr;
};

}  // namespace herald::delivery
