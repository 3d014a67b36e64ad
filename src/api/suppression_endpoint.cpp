#include "api/suppression_endpoint.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>
#include <chrono>

#include "admin/query_string.hpp"
#include "admin/request_router.hpp"
#include "api/api_error.hpp"
#include "api/api_key.hpp"
#include "base/ascii_case.hpp"

namespace herald::api {

namespace asio = boost::asio;
using admin::HttpRequest;
using admin::HttpResponse;

namespace {

constexpr std::size_t kDefaultLimit = 100;
constexpr std::size_t kMaxLimit = 1000;

HttpResponse json(unsigned status, const boost::json::object& body) {
    return HttpResponse{.status = status, .body = boost::json::serialize(body)};
}

// Who asks: the administrator (every list) or a key (its own domains' lists).
struct Caller {
    bool admin = false;
    const config::ApiKey* key = nullptr;
    std::shared_ptr<policy::Policies> policies;

    // The list `domain` names ("shop.example", or "shop.example:deals.shop.example" for one
    // of its mailing lists), lower-cased, or the refusal. "" is the global list, "*".
    std::variant<std::string, HttpResponse> scope(std::string_view domain) const {
        std::string scope = domain.empty() ? "*" : ascii_lowercase(domain);
        if (admin) return scope;
        if (scope == "*") {
            return api_error(403, "forbidden",
                             "an API key must name one of its sender domains (domain=...)");
        }
        // A list's scope ("domain:list id") belongs to its domain.
        const std::string owner = scope.substr(0, scope.find(':'));
        if (!policies->relay.may_send_as_domain(key->user(), owner)) {
            return api_error(403, "forbidden",
                             "API key " + key->name + " may not manage the list of " + scope);
        }
        return scope;
    }
};

std::string param(const admin::QueryString& query, std::string_view name) {
    return query.get(name).value_or("");
}

std::optional<std::size_t> parse_limit(std::string_view text) {
    if (text.empty()) return kDefaultLimit;
    std::size_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value == 0) return std::nullopt;
    return std::min(value, kMaxLimit);
}

asio::awaitable<HttpResponse> list_entries(const SuppressionServices& services,
                                           const Caller& caller, const admin::QueryString& query) {
    const std::string address = param(query, "address");
    const std::string domain = param(query, "domain");
    auto scope = caller.scope(domain);
    if (auto* refused = std::get_if<HttpResponse>(&scope)) co_return std::move(*refused);
    // An administrator without domain= sees every list.
    const std::string wanted = caller.admin && domain.empty() ? "" : std::get<std::string>(scope);
    auto& list = services.suppressions->list();
    if (!address.empty()) {
        auto found = co_await services.pool->run(
            [&] { return list.check(address, wanted == "*" ? std::string_view() : wanted); });
        if (!found) co_return api_error(500, "storage", found.error());
        if (!*found) co_return api_error(404, "not_found", address + " is not suppressed");
        boost::json::array entries{suppression::entry_json(**found)};
        co_return json(200, {{"entries", entries}});
    }
    const auto limit = parse_limit(param(query, "limit"));
    if (!limit) co_return api_error(400, "invalid_limit", "limit is a positive number");
    const std::string after = param(query, "after");
    auto page = co_await services.pool->run([&] { return list.list(wanted, after, *limit); });
    if (!page) co_return api_error(500, "storage", page.error());
    boost::json::array entries;
    for (const auto& entry : *page) entries.push_back(suppression::entry_json(entry));
    boost::json::object body{{"entries", entries}};
    if (page->size() == *limit) body["next"] = page->back().address;
    co_return json(200, body);
}

asio::awaitable<HttpResponse> add_entry(const SuppressionServices& services, const Caller& caller,
                                        const HttpRequest& request) {
    boost::system::error_code ec;
    const auto parsed = boost::json::parse(request.body, ec);
    if (ec || !parsed.is_object())
        co_return api_error(400, "invalid_json", "a JSON object is needed");
    const auto& o = parsed.as_object();
    const auto text = [&o](std::string_view key) -> std::string {
        const auto* v = o.if_contains(key);
        return v && v->is_string() ? std::string(v->as_string()) : std::string();
    };
    const std::string address = text("address");
    if (address.empty()) co_return api_error(422, "invalid_address", "address is required");
    auto scope = caller.scope(text("domain"));
    if (auto* refused = std::get_if<HttpResponse>(&scope)) co_return std::move(*refused);
    std::string reason = text("reason");
    if (reason.empty()) {
        reason =
            caller.admin ? "added by the administrator" : "added by API key " + caller.key->name;
    }
    suppression::Entry entry{.address = address,
                             .scope = std::get<std::string>(scope),
                             .reason = reason.substr(0, 300),
                             .source = "api",
                             .created = std::chrono::duration_cast<std::chrono::seconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count()};
    auto added =
        co_await services.pool->run([&] { return services.suppressions->list().add(entry); });
    if (!added) co_return api_error(422, "invalid_address", added.error());
    co_return json(*added ? 201 : 200,
                   {{"entry", suppression::entry_json(entry)}, {"added", *added}});
}

asio::awaitable<HttpResponse> remove_entry(const SuppressionServices& services,
                                           const Caller& caller, const admin::QueryString& query) {
    const std::string address = param(query, "address");
    if (address.empty()) co_return api_error(422, "invalid_address", "address= is required");
    auto scope = caller.scope(param(query, "domain"));
    if (auto* refused = std::get_if<HttpResponse>(&scope)) co_return std::move(*refused);
    const std::string& wanted = std::get<std::string>(scope);
    auto removed = co_await services.pool->run(
        [&] { return services.suppressions->list().remove(address, wanted); });
    if (!removed) co_return api_error(500, "storage", removed.error());
    if (!*removed) {
        co_return api_error(404, "not_found", address + " is not on the list of " + wanted);
    }
    co_return HttpResponse{.status = 204, .body = ""};
}

}  // namespace

asio::awaitable<HttpResponse> manage_suppressions(const SuppressionServices& services,
                                                  const HttpRequest& request) {
    if (!services.suppressions) co_return api_error(404, "not_found", "no such endpoint");
    Caller caller{.policies = services.policies()};
    caller.admin = admin::authorized(request.authorization, services.admin_token);
    if (!caller.admin) {
        caller.key = api_key_for(request.authorization, caller.policies->api_keys);
        if (!caller.key) co_return unauthorized(request);
    }
    const auto question = request.target.find('?');
    auto query = admin::QueryString::parse(question == std::string_view::npos
                                               ? std::string_view{}
                                               : request.target.substr(question + 1));
    if (!query) co_return api_error(400, "invalid_query", "malformed query string");
    if (request.method == "GET") co_return co_await list_entries(services, caller, *query);
    if (request.method == "POST") co_return co_await add_entry(services, caller, request);
    if (request.method == "DELETE") co_return co_await remove_entry(services, caller, *query);
    HttpResponse response = api_error(405, "method_not_allowed", "use GET, POST or DELETE here");
    response.headers.emplace_back("Allow", "GET, POST, DELETE");
    co_return response;
}

}  // namespace herald::api
