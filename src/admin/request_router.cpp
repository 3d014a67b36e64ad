#include "admin/request_router.hpp"

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>

#include "admin/console_page.hpp"
#include "base/ascii_case.hpp"
#include "queue/queue_filter.hpp"
#include "spool/message_id.hpp"

namespace herald::admin {

namespace {

constexpr std::array<std::string_view, 5> kActions = {"flush", "hold", "release", "delete",
                                                      "bounce"};

// The host of a Host header (RFC 9110 7.2: uri-host [":" port]), brackets removed.
std::string_view host_name(std::string_view host) {
    if (host.starts_with('[')) {
        auto end = host.find(']');
        return end == std::string_view::npos ? std::string_view{} : host.substr(1, end - 1);
    }
    return host.substr(0, host.find(':'));
}

// On loopback, /metrics needs no token, and a web page could reach it through DNS rebinding
// (its own name resolving to 127.0.0.1): such a request names that host in Host.
bool is_loopback_host(std::string_view host) {
    std::string_view name = host_name(host);
    if (equals_ignoring_case(name, "localhost")) return true;
    boost::system::error_code ec;
    auto address = boost::asio::ip::make_address(std::string(name), ec);
    return !ec && address.is_loopback();
}

// A browser names the page that sent a request in Origin (RFC 6454 7): a page of another
// site must not flush or delete mail through the administrator's browser.
bool is_same_origin(std::string_view origin, std::string_view host) {
    constexpr std::string_view kScheme = "http://";
    return origin.starts_with(kScheme) && origin.substr(kScheme.size()) == host && !host.empty();
}

std::variant<Route, HttpResponse> only(std::string_view allowed, const HttpRequest& request,
                                       Route route) {
    if (request.method == allowed) return route;
    HttpResponse response = json_error(405, "use " + std::string(allowed) + " here");
    response.headers.emplace_back("Allow", std::string(allowed));
    return response;
}

std::optional<std::size_t> whole_number(std::string_view text) {
    std::size_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return n;
}

// The query's queue filter parameters (queue/queue_filter.hpp names them); the endpoint reads
// the others.
std::optional<HttpResponse> read_queue_filter(const QueryString& query, Route& route) {
    std::vector<queue::QueueFilter::Parameter> given;
    for (auto name : queue::QueueFilter::kNames) {
        if (auto value = query.get(name)) given.emplace_back(std::string(name), std::move(*value));
    }
    auto filter = queue::QueueFilter::parse(given);
    if (!filter) return json_error(400, filter.error());
    route.filter = std::move(*filter);
    return std::nullopt;
}

std::variant<Route, HttpResponse> queue_list(const HttpRequest& request, const QueryString& query) {
    Route route{.endpoint = Endpoint::queue_list, .limit = kDefaultQueueLimit};
    if (auto text = query.get("limit")) {
        auto limit = whole_number(*text);
        if (!limit || *limit == 0 || *limit > kMaxQueueLimit) {
            return json_error(400,
                              "limit must be a number from 1 to " + std::to_string(kMaxQueueLimit));
        }
        route.limit = *limit;
    }
    if (auto text = query.get("offset")) {
        auto offset = whole_number(*text);
        if (!offset) return json_error(400, "offset must be a number from 0");
        route.offset = *offset;
    }
    if (auto refusal = read_queue_filter(query, route)) return std::move(*refusal);
    return only("GET", request, std::move(route));
}

// "/api/queue/<action>?<filter>" or "?all=yes": the action on every message the filter matches.
std::variant<Route, HttpResponse> queue_bulk_action(const HttpRequest& request,
                                                    std::string_view action,
                                                    const QueryString& query) {
    Route route{.endpoint = Endpoint::queue_bulk, .action = std::string(action)};
    if (request.method != "POST") return only("POST", request, std::move(route));  // 405
    if (auto refusal = read_queue_filter(query, route)) return std::move(*refusal);
    const auto all = query.get("all");
    if (all && *all != "yes") return json_error(400, "all: '" + *all + "' is not yes");
    if (all.has_value() == !route.filter.empty()) {
        return json_error(400, "name the messages: filter parameters, or all=yes for every one");
    }
    return only("POST", request, std::move(route));
}

// "/api/queue/flush", "/api/queue/<action>?<filter>" or "/api/queue/<id>/<action>", given what
// follows "/api/queue/".
std::variant<Route, HttpResponse> queue_action(const HttpRequest& request, std::string_view rest,
                                               const QueryString& query, bool has_query) {
    Route route{.endpoint = Endpoint::queue_action};
    const bool is_action = std::find(kActions.begin(), kActions.end(), rest) != kActions.end();
    if (is_action && (has_query || rest != "flush")) return queue_bulk_action(request, rest, query);
    if (rest == "flush") {
        route.action = "flush";
        return only("POST", request, std::move(route));
    }
    auto slash = rest.find('/');
    if (slash == std::string_view::npos && spool::is_valid_message_id(rest)) {
        return only("GET", request,
                    Route{.endpoint = Endpoint::queue_message, .id = std::string(rest)});
    }
    if (slash == std::string_view::npos) return json_error(404, "no such endpoint");
    std::string_view id = rest.substr(0, slash);
    std::string_view action = rest.substr(slash + 1);
    if (std::find(kActions.begin(), kActions.end(), action) == kActions.end()) {
        return json_error(404, "no such queue action");
    }
    if (!spool::is_valid_message_id(id)) return json_error(400, "not a message id");
    route.action = action;
    route.id = id;
    return only("POST", request, std::move(route));
}

// "/api/shaping/<provider>/reset" -> the provider.
std::optional<std::string> shaping_reset_target(std::string_view path) {
    constexpr std::string_view kPrefix = "/api/shaping/";
    constexpr std::string_view kSuffix = "/reset";
    if (!path.starts_with(kPrefix) || !path.ends_with(kSuffix)) return std::nullopt;
    path.remove_prefix(kPrefix.size());
    path.remove_suffix(std::min(path.size(), kSuffix.size()));
    if (path.empty() || path.find('/') != std::string_view::npos) return std::nullopt;
    return std::string(path);
}

}  // namespace

bool authorized(std::string_view authorization, std::string_view token) {
    constexpr std::string_view kScheme = "Bearer ";
    if (token.empty()) return false;
    if (!starts_with_ignoring_case(authorization, kScheme)) return false;
    std::string_view given = authorization.substr(kScheme.size());
    // Every byte compared whatever the first difference: the time taken tells nothing of
    // how much of a guess was right.
    unsigned char difference = given.size() == token.size() ? 0 : 1;
    for (std::size_t i = 0; i < given.size(); ++i) {
        difference |= static_cast<unsigned char>(given[i] ^ token[i % token.size()]);
    }
    return difference == 0;
}

std::variant<Route, HttpResponse> route_request(const HttpRequest& request, AdminAccess access) {
    if (access.loopback_only && !is_loopback_host(request.host)) {
        return json_error(403, "the Host header must name a loopback address");
    }
    if (!request.origin.empty() && !is_same_origin(request.origin, request.host)) {
        return json_error(403, "cross-origin requests are refused");
    }
    std::string_view target = request.target;
    auto question = target.find('?');
    std::string_view path = target.substr(0, question);
    auto query = QueryString::parse(
        question == std::string_view::npos ? std::string_view{} : target.substr(question + 1));
    if (!query) return json_error(400, "malformed query string");

    // The console's files hold no data; the page asks for the token and sends it with each
    // call.
    if (console_asset(path)) {
        return only("GET", request, Route{.endpoint = Endpoint::console, .id = std::string(path)});
    }
    if (path == kSendPath) return only("POST", request, Route{.endpoint = Endpoint::send});
    if (path == kSuppressionsPath) return Route{.endpoint = Endpoint::suppressions};
    // Counters only, no addresses or ids: a local Prometheus scrapes without a secret.
    const bool open = path == "/metrics" && access.loopback_only;
    if (!open && !authorized(request.authorization, access.token)) {
        HttpResponse response =
            json_error(401, request.authorization.empty() ? "a bearer token is required"
                                                          : "the bearer token is not valid");
        response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"herald\"");
        return response;
    }
    if (path == "/metrics") return only("GET", request, Route{.endpoint = Endpoint::metrics});
    if (path == "/api/transports") {
        return only("GET", request, Route{.endpoint = Endpoint::transports});
    }
    if (path == "/api/queue") return queue_list(request, *query);
    for (auto [name, endpoint] :
         {std::pair{"/api/summary", Endpoint::summary}, std::pair{"/api/trace", Endpoint::trace},
          std::pair{"/api/doctor", Endpoint::doctor}, std::pair{"/api/events", Endpoint::events},
          std::pair{"/api/census", Endpoint::census}, std::pair{"/api/history", Endpoint::history},
          std::pair{"/api/dkim", Endpoint::dkim}, std::pair{"/api/routes", Endpoint::routes},
          std::pair{"/api/cluster", Endpoint::cluster}}) {
        if (path == name)
            return only("GET", request, Route{.endpoint = endpoint, .params = *query});
    }
    if (path == "/api/shaping") return only("GET", request, Route{.endpoint = Endpoint::shaping});
    if (auto provider = shaping_reset_target(path)) {
        return only("POST", request, Route{.endpoint = Endpoint::shaping_reset, .id = *provider});
    }
    constexpr std::string_view kQueuePrefix = "/api/queue/";
    if (path.starts_with(kQueuePrefix))
        return queue_action(request, path.substr(kQueuePrefix.size()), *query,
                            question != std::string_view::npos);
    return json_error(404, "no such endpoint");
}

}  // namespace herald::admin
