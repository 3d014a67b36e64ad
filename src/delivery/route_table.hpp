#pragma once
// The rule that picks a recipient's transport, in one place: local domains go to the local
// mailboxes, everything else by the first [[route]] that matches the envelope sender; with no
// route at all, mail goes to "null" (docs/config.md). The Router answers with the transport
// itself; the queue tools, which run no Router, with its name.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace herald::delivery {

// True when `pattern` ("user@domain", "*@domain" or "*") matches `sender`. Domains compare
// case-insensitively; the null sender matches only "*".
bool route_matches(std::string_view pattern, std::string_view sender);

// The configured transport that mail from `sender` takes: the one the first matching
// [[route]] names; null when no route matches. What the config says, for the checks that
// read it (the sending address, TLS on the route) without a running Router.
const config::Transport* routed_transport(const config::Config& config, std::string_view sender);

class RouteTable {
  public:
    static constexpr std::string_view kLocal = "local";  // the local mailboxes' transport
    static constexpr std::string_view kNull = "null";    // where mail goes without a route

    explicit RouteTable(const config::Config& config);

    bool is_local(std::string_view recipient) const;
    // The index in routes() of the first route that matches `sender`; nullopt for none.
    std::optional<std::size_t> route_for(std::string_view sender) const;
    const std::vector<config::Route>& routes() const { return routes_; }
    // The transport's name: kLocal, a route's transport, or "none" when no route matches.
    std::string transport_name(std::string_view sender, std::string_view recipient) const;

  private:
    std::vector<std::string> local_domains_;
    std::vector<config::Route> routes_;
};

}  // namespace herald::delivery
