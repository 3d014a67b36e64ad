#pragma once
// Which queued messages an administrator means: the one filter of `herald queue list`,
// `herald queue summary`, the bulk actions (`herald queue delete --domain ...`, through the
// control socket) and GET /api/queue. Its criteria are named as the API's query parameters:
//   sender=ADDR|@DOMAIN|<>     the envelope sender
//   recipient=ADDR|@DOMAIN     a recipient still pending
//   domain=D                   a pending recipient's domain
//   transport=NAME             the transport the router picks for a pending recipient
//   older_than=DURATION        arrived longer ago than that ("30m", "2h", "3d")
//   younger_than=DURATION      arrived more recently than that
//   held=yes|no
// A message matches when it meets every criterion given; recipient, domain and transport must
// all hold for one and the same pending recipient. Addresses and domains compare without
// regard to case: what an administrator types is seldom in the case the client sent.
#include <chrono>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.hpp"

namespace herald::config {
struct Config;
}
namespace herald::delivery {
class TransportSelector;
}
namespace herald::spool {
struct SpooledMessage;
}

namespace herald::queue {

// The name of the transport that takes `recipient` of mail from `sender`.
using TransportOf = std::function<std::string(std::string_view sender, std::string_view recipient)>;

// As the running server's router decides (what the control socket and the admin API use).
TransportOf transport_names(const delivery::TransportSelector& router);
// As the router built from `config` decides, by the same rule (delivery::RouteTable): what the
// CLI uses, which builds no transports.
TransportOf transport_names(const config::Config& config);

struct QueueFilter {
    using Clock = std::chrono::system_clock;
    using Parameter = std::pair<std::string, std::string>;

    // The parameter names, as the API and the control socket spell them.
    static constexpr std::string_view kNames[] = {
        "sender", "recipient", "domain", "transport", "older_than", "younger_than", "held"};

    std::optional<std::string> sender;     // lower case; "@domain" for a whole domain, "" for <>
    std::optional<std::string> recipient;  // lower case; "@domain" for a whole domain
    std::optional<std::string> domain;     // lower case
    std::optional<std::string> transport;
    std::optional<std::chrono::seconds> older_than;
    std::optional<std::chrono::seconds> younger_than;
    std::optional<bool> held;

    // Every message matches.
    bool empty() const;
    // Needs `transport_of` only when `transport` is set (without it nothing matches then).
    bool matches(const spool::SpooledMessage& message, Clock::time_point now,
                 const TransportOf& transport_of = {}) const;
    // A pending recipient meets the recipient, domain and transport criteria.
    bool takes_recipient(std::string_view sender, std::string_view address,
                         const TransportOf& transport_of) const;

    // name=value pairs; an unknown name, a repeated one or a bad value is an error naming it.
    static Result<QueueFilter> parse(std::span<const Parameter> parameters);
    // "name=value name=value", what the control socket's bulk requests carry: values never
    // hold spaces, parse() refuses them.
    std::string to_text() const;
    static Result<QueueFilter> from_text(std::string_view text);
};

}  // namespace herald::queue
