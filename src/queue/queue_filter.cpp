#include "queue/queue_filter.hpp"

#include <algorithm>
#include <iterator>
#include <memory>

#include "base/address_parts.hpp"
#include "base/ascii_case.hpp"
#include "config/config.hpp"
#include "config/value_formats.hpp"
#include "delivery/route_table.hpp"
#include "delivery/transport_selector.hpp"
#include "spool/spool.hpp"

namespace herald::queue {

namespace {

// What travels on the control socket's one line and in a query: printable, no spaces.
bool is_plain_value(std::string_view value) {
    return !value.empty() && std::all_of(value.begin(), value.end(),
                                         [](unsigned char c) { return c > ' ' && c < 0x7f; });
}

// "user@domain" or "@domain", lower-cased; the domain a real one.
std::optional<std::string> address_or_domain(std::string_view value) {
    if (value.starts_with("*@")) value.remove_prefix(1);  // "*@domain", as routes write it
    const auto at = value.rfind('@');
    if (at == std::string_view::npos || !is_plain_value(value)) return std::nullopt;
    if (!config::is_domain_name(value.substr(at + 1))) return std::nullopt;
    return ascii_lowercase(value);
}

// "@domain" matches every address of the domain; anything else, the address itself.
bool address_matches(std::string_view pattern, std::string_view address) {
    if (pattern.starts_with('@'))
        return equals_ignoring_case(pattern.substr(1), domain_of(address));
    return equals_ignoring_case(pattern, address);
}

std::string duration_text(std::chrono::seconds d) {
    return std::to_string(d.count()) + "s";
}

Status set_value(QueueFilter& filter, std::string_view name, std::string_view value) {
    auto bad = [&](std::string_view what) {
        return Error{std::string(name) + ": '" + std::string(value) + "' is not " +
                     std::string(what)};
    };
    if (name == "sender") {
        if (value == "<>") {
            filter.sender = "";
            return ok_status();
        }
        auto pattern = address_or_domain(value);
        if (!pattern) return bad("an address, @domain or <>");
        filter.sender = std::move(*pattern);
    } else if (name == "recipient") {
        auto pattern = address_or_domain(value);
        if (!pattern) return bad("an address or @domain");
        filter.recipient = std::move(*pattern);
    } else if (name == "domain") {
        if (value.starts_with('@')) value.remove_prefix(1);
        if (!config::is_domain_name(value)) return bad("a domain name");
        filter.domain = ascii_lowercase(value);
    } else if (name == "transport") {
        if (!is_plain_value(value)) return bad("a transport name");
        filter.transport = std::string(value);
    } else if (name == "older_than" || name == "younger_than") {
        auto d = config::parse_duration(value);
        if (!d) return bad("a duration such as 30m, 2h or 3d");
        (name == "older_than" ? filter.older_than : filter.younger_than) = *d;
    } else if (name == "held") {
        if (value != "yes" && value != "no") return bad("yes or no");
        filter.held = value == "yes";
    } else {
        return Error{"unknown filter '" + std::string(name) + "'"};
    }
    return ok_status();
}

}  // namespace

TransportOf transport_names(const delivery::TransportSelector& router) {
    // Pinned: a reload meanwhile must not take the transports away while they are named.
    return [pinned = router.pinned()](std::string_view sender, std::string_view recipient) {
        const delivery::Transport* transport = pinned->transport_for(sender, recipient);
        return transport ? std::string(transport->name()) : std::string("none");
    };
}

TransportOf transport_names(const config::Config& config) {
    return [table = delivery::RouteTable(config)](std::string_view sender,
                                                  std::string_view recipient) {
        return table.transport_name(sender, recipient);
    };
}

bool QueueFilter::empty() const {
    return !sender && !recipient && !domain && !transport && !older_than && !younger_than && !held;
}

bool QueueFilter::takes_recipient(std::string_view sender_address, std::string_view address,
                                  const TransportOf& transport_of) const {
    if (recipient && !address_matches(*recipient, address)) return false;
    if (domain && !equals_ignoring_case(*domain, domain_of(address))) return false;
    if (transport && (!transport_of || transport_of(sender_address, address) != *transport)) {
        return false;
    }
    return true;
}

bool QueueFilter::matches(const spool::SpooledMessage& message, Clock::time_point now,
                          const TransportOf& transport_of) const {
    const auto& envelope = message.envelope;
    if (held && message.held != *held) return false;
    if (sender) {
        if (sender->empty() ? !envelope.sender.empty() : !address_matches(*sender, envelope.sender))
            return false;
    }
    const auto age = now - envelope.arrival;
    if (older_than && !(age > *older_than)) return false;
    if (younger_than && !(age < *younger_than)) return false;
    if (!recipient && !domain && !transport) return true;
    return std::any_of(message.recipients.begin(), message.recipients.end(),
                       [&](const spool::SpooledRecipient& r) {
                           return r.state == spool::RecipientState::pending &&
                                  takes_recipient(envelope.sender, r.address, transport_of);
                       });
}

Result<QueueFilter> QueueFilter::parse(std::span<const Parameter> parameters) {
    QueueFilter filter;
    std::vector<std::string_view> seen;
    for (const auto& [name, value] : parameters) {
        if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
            return Error{"filter '" + name + "' given twice"};
        }
        seen.push_back(name);
        if (auto set = set_value(filter, name, value); !set) return Error{set.error()};
    }
    return filter;
}

std::string QueueFilter::to_text() const {
    std::vector<std::string> parts;
    if (sender) parts.push_back("sender=" + (sender->empty() ? std::string("<>") : *sender));
    if (recipient) parts.push_back("recipient=" + *recipient);
    if (domain) parts.push_back("domain=" + *domain);
    if (transport) parts.push_back("transport=" + *transport);
    if (older_than) parts.push_back("older_than=" + duration_text(*older_than));
    if (younger_than) parts.push_back("younger_than=" + duration_text(*younger_than));
    if (held) parts.push_back(std::string("held=") + (*held ? "yes" : "no"));
    std::string text;
    for (const auto& part : parts) text += (text.empty() ? "" : " ") + part;
    return text;
}

Result<QueueFilter> QueueFilter::from_text(std::string_view text) {
    std::vector<Parameter> parameters;
    while (!text.empty()) {
        const auto space = text.find(' ');
        const std::string_view part = text.substr(0, space);
        text = space == std::string_view::npos ? std::string_view{} : text.substr(space + 1);
        if (part.empty()) continue;
        const auto equals = part.find('=');
        if (equals == std::string_view::npos) {
            return Error{"'" + std::string(part) + "' is not name=value"};
        }
        parameters.emplace_back(part.substr(0, equals), part.substr(equals + 1));
    }
    return parse(parameters);
}

}  // namespace herald::queue
