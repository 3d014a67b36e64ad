#include "admin/api_responses.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "admin/console_page.hpp"

namespace herald::admin {

namespace {

std::string_view type_name(config::Transport::Type type) {
    using Type = config::Transport::Type;
    switch (type) {
        case Type::null:
            return "null";
        case Type::http:
            return "http";
        case Type::maildir:
            return "maildir";
        case Type::mbox:
            return "mbox";
        case Type::smtp:
            break;
    }
    return "smtp";
}

std::string target_of(const config::Transport& t) {
    using Type = config::Transport::Type;
    switch (t.type) {
        case Type::smtp:
            return t.host.empty() ? "MX" : t.host + ":" + std::to_string(t.port);
        case Type::http:
            return t.url;
        case Type::maildir:
        case Type::mbox:
            return t.path;
        case Type::null:
            break;
    }
    return "";
}

}  // namespace

HttpResponse json_response(const boost::json::value& value) {
    return HttpResponse{.body = boost::json::serialize(value)};
}

std::vector<TransportInfo> transport_infos(const std::vector<config::Transport>& transports) {
    std::vector<TransportInfo> out;
    for (const auto& t : transports) {
        out.push_back({t.name, std::string(type_name(t.type)), target_of(t)});
    }
    return out;
}

HttpResponse console_response() {
    return HttpResponse{
        .content_type = "text/html; charset=utf-8",
        .body = std::string(kConsolePage),
        // Everything is inline; nothing may be loaded from elsewhere, and calls go home only.
        .headers = {{"Content-Security-Policy",
                     "default-src 'none'; script-src 'unsafe-inline'; "
                     "style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'"}}};
}

HttpResponse metrics_response(const Metrics& metrics) {
    return HttpResponse{.content_type = "text/plain; version=0.0.4; charset=utf-8",
                        .body = metrics.render()};
}

HttpResponse queue_response(const QueueListing& listing,
                            std::chrono::system_clock::time_point now) {
    HttpResponse response = json_response(queue_json(listing.entries, now));
    response.headers.emplace_back("X-Total-Count", std::to_string(listing.total));
    return response;
}

HttpResponse action_response(std::string_view reply) {
    constexpr std::string_view kOk = "ok ";
    constexpr std::string_view kError = "error ";
    if (reply.starts_with(kOk)) {
        return json_response({{"ok", true}, {"detail", reply.substr(kOk.size())}});
    }
    std::string_view detail = reply.starts_with(kError) ? reply.substr(kError.size()) : reply;
    const bool unknown = detail.starts_with("no message ") || detail.starts_with("no provider ");
    return json_error(unknown ? 404 : 500, detail);
}

HttpResponse transports_response(const std::vector<TransportInfo>& transports,
                                 const Metrics& metrics, const queue::QueueCensusSnapshot& census) {
    boost::json::array out;
    for (const auto& t : transports) {
        auto counts = metrics.transport(t.name);
        auto queued = census.transports.find(t.name);
        const auto gauge = queued == census.transports.end() ? queue::QueueGauge{} : queued->second;
        out.push_back({{"name", t.name},
                       {"type", t.type},
                       {"target", t.target},
                       {"delivered", counts.delivered},
                       {"deferred", counts.deferred},
                       {"failed", counts.failed},
                       {"queued_messages", gauge.messages},
                       {"queued_recipients", gauge.recipients},
                       {"oldest_age_seconds", gauge.oldest_age.count()}});
    }
    return json_response(out);
}

}  // namespace herald::admin
