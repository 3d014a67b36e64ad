#include "admin/api_responses.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <charconv>
#include <cstdint>

#include "admin/console_page.hpp"
#include "base/timestamp.hpp"

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

HttpResponse console_response(std::string_view path) {
    const ConsoleAsset* asset = console_asset(path);
    if (!asset) return json_error(404, "no such endpoint");
    return HttpResponse{.content_type = std::string(asset->content_type),
                        .body = std::string(asset->body),
                        .headers = {{"Content-Security-Policy", std::string(kConsolePolicy)},
                                    {"X-Content-Type-Options", "nosniff"}}};
}

HttpResponse metrics_response(const Metrics& metrics) {
    return HttpResponse{.content_type = "text/plain; version=0.0.4; charset=utf-8",
                        .body = metrics.render()};
}

HttpResponse queue_response(const QueueListing& listing,
                            std::chrono::system_clock::time_point now) {
    HttpResponse response = json_response(queue_json(listing.entries, now));
    response.headers.emplace_back("X-Total-Count", std::to_string(listing.total));
    response.headers.emplace_back("X-Matching-Count", std::to_string(listing.matching));
    return response;
}

HttpResponse touched_response(std::string_view reply) {
    constexpr std::string_view kOk = "ok ";
    std::uint64_t touched = 0;
    if (reply.starts_with(kOk)) {
        auto count = reply.substr(kOk.size());
        auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), touched);
        if (ec == std::errc() && end == count.data() + count.size()) {
            return json_response({{"touched", touched}});
        }
    }
    return action_response(reply);
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

namespace {

boost::json::object gauge_json(const queue::QueueGauge& gauge) {
    return {{"messages", gauge.messages},
            {"recipients", gauge.recipients},
            {"oldest_age_seconds", gauge.oldest_age.count()}};
}

boost::json::array gauges_json(
    const std::map<std::string, queue::QueueGauge, std::less<>>& gauges) {
    boost::json::array out;
    for (const auto& [name, gauge] : gauges) {
        boost::json::object entry = gauge_json(gauge);
        entry["name"] = name;
        out.push_back(std::move(entry));
    }
    return out;
}

}  // namespace

HttpResponse routes_response(const std::vector<config::Route>& routes) {
    boost::json::array out;
    for (const auto& r : routes) out.push_back({{"sender", r.sender}, {"transport", r.transport}});
    return json_response(out);
}

HttpResponse census_response(const queue::QueueCensusSnapshot& census) {
    return json_response({{"total", gauge_json(census.total)},
                          {"transports", gauges_json(census.transports)},
                          {"destinations", gauges_json(census.destinations)}});
}

HttpResponse history_response(const MinuteHistory::Snapshot& history) {
    boost::json::object out{{"minute_seconds", 60}, {"start", iso8601_utc(history.start)}};
    for (std::size_t flow = 0; flow < kFlowNames.size(); ++flow) {
        boost::json::array counts;
        for (const auto& minute : history.minutes) counts.push_back(minute[flow]);
        out[kFlowNames[flow]] = std::move(counts);
    }
    return json_response(out);
}

}  // namespace herald::admin
