#include "admin/request_router.hpp"

#include <gtest/gtest.h>

namespace herald::admin {
namespace {

constexpr std::string_view kBearer = "Bearer 0123456789abcdef-secret";
constexpr std::string_view kToken = kBearer.substr(7);
constexpr std::string_view kHost = "127.0.0.1:8025";
constexpr AdminAccess kConfigured{.token = kToken};
constexpr AdminAccess kGenerated{.token = kToken, .loopback_only = true};

// With the right token unless told otherwise.
HttpRequest get(std::string_view target, std::string_view authorization = kBearer) {
    return {.method = "GET", .target = target, .host = kHost, .authorization = authorization};
}
HttpRequest post(std::string_view target, std::string_view authorization = kBearer) {
    return {.method = "POST", .target = target, .host = kHost, .authorization = authorization};
}

Route routed(const HttpRequest& request, AdminAccess access = kConfigured) {
    auto result = route_request(request, access);
    if (auto* refusal = std::get_if<HttpResponse>(&result)) {
        ADD_FAILURE() << request.method << " " << request.target << ": " << refusal->status << " "
                      << refusal->body;
        return {};
    }
    return std::get<Route>(result);
}

HttpResponse refused(const HttpRequest& request, AdminAccess access = kConfigured) {
    auto result = route_request(request, access);
    if (auto* refusal = std::get_if<HttpResponse>(&result)) return *refusal;
    ADD_FAILURE() << request.method << " " << request.target << " was routed";
    return {};
}

std::string header(const HttpResponse& response, std::string_view name) {
    for (const auto& [n, v] : response.headers) {
        if (n == name) return v;
    }
    return "";
}

TEST(RequestRouter, RoutesEachEndpoint) {
    EXPECT_EQ(routed(get("/")).endpoint, Endpoint::console);
    EXPECT_EQ(routed(get("/metrics")).endpoint, Endpoint::metrics);
    EXPECT_EQ(routed(get("/api/transports")).endpoint, Endpoint::transports);
    auto list = routed(get("/api/queue"));
    EXPECT_EQ(list.endpoint, Endpoint::queue_list);
    EXPECT_EQ(list.limit, kDefaultQueueLimit);
}

TEST(RequestRouter, RoutesQueueActionsWithTheirId) {
    for (std::string action : {"flush", "hold", "release", "delete", "bounce"}) {
        std::string target = "/api/queue/0abc123def4560001xyz/" + action;
        auto route = routed(post(target));
        EXPECT_EQ(route.endpoint, Endpoint::queue_action);
        EXPECT_EQ(route.action, action);
        EXPECT_EQ(route.id, "0abc123def4560001xyz");
    }
    auto all = routed(post("/api/queue/flush"));
    EXPECT_EQ(all.endpoint, Endpoint::queue_action);
    EXPECT_EQ(all.action, "flush");
    EXPECT_EQ(all.id, "");
}

TEST(RequestRouter, ReadsTheQueueLimitAndIgnoresOtherParameters) {
    EXPECT_EQ(routed(get("/api/queue?limit=20")).limit, 20u);
    EXPECT_EQ(routed(get("/api/queue?x=1&limit=5&y")).limit, 5u);
    EXPECT_EQ(routed(get("/metrics?anything")).endpoint, Endpoint::metrics);
}

TEST(RequestRouter, RefusesABadQueueLimit) {
    for (std::string_view target :
         {"/api/queue?limit=", "/api/queue?limit=0", "/api/queue?limit=abc", "/api/queue?limit=12x",
          "/api/queue?limit=-1", "/api/queue?limit=100001",
          "/api/queue?limit=99999999999999999999999"}) {
        EXPECT_EQ(refused(get(target)).status, 400u) << target;
    }
}

TEST(RequestRouter, UnknownPathsAre404WithAJsonBody) {
    for (std::string_view target : {"/nope", "/api", "/api/queue/", "/api/queue/abc/explode",
                                    "/metrics/", "http://x/metrics", "", "*"}) {
        auto response = refused(get(target));
        EXPECT_EQ(response.status, 404u) << target;
        EXPECT_EQ(response.content_type, "application/json");
        EXPECT_NE(response.body.find("\"error\""), std::string::npos);
    }
}

TEST(RequestRouter, ABadMessageIdIs400) {
    EXPECT_EQ(refused(post("/api/queue/..%2f..%2fetc/hold")).status, 400u);
    EXPECT_EQ(refused(post("/api/queue/a.b/delete")).status, 400u);
    EXPECT_EQ(refused(post("/api/queue/" + std::string(65, 'a') + "/delete")).status, 400u);
}

TEST(RequestRouter, WrongMethodIs405WithAllow) {
    auto response = refused(post("/metrics"));
    EXPECT_EQ(response.status, 405u);
    EXPECT_EQ(header(response, "Allow"), "GET");
    response = refused(get("/api/queue/0abc123def4560001xyz/delete"));
    EXPECT_EQ(response.status, 405u);
    EXPECT_EQ(header(response, "Allow"), "POST");
    EXPECT_EQ(
        refused(
            {.method = "DELETE", .target = "/api/queue", .host = kHost, .authorization = kBearer})
            .status,
        405u);
    EXPECT_EQ(
        refused({.method = "get", .target = "/metrics", .host = kHost, .authorization = kBearer})
            .status,
        405u);
}

TEST(RequestRouter, WithATokenEveryApiCallNeedsIt) {
    for (auto request : {get("/metrics", ""), get("/api/queue", ""), get("/api/transports", ""),
                         post("/api/queue/flush", ""), get("/nope", ""),
                         get("/api/queue", "Bearer 0123456789abcdef-secreT"),
                         get("/api/trace?q=x", "Basic 0123456789abcdef-secret")}) {
        auto response = refused(request);
        EXPECT_EQ(response.status, 401u) << request.target;
        EXPECT_EQ(header(response, "WWW-Authenticate"), "Bearer realm=\"herald\"");
        EXPECT_NE(response.body.find("\"error\""), std::string::npos);
    }
    EXPECT_EQ(routed(get("/metrics")).endpoint, Endpoint::metrics);
    EXPECT_EQ(routed(post("/api/queue/flush")).action, "flush");
}

TEST(RequestRouter, WithAGeneratedTokenOnlyMetricsAreOpen) {
    EXPECT_EQ(routed(get("/metrics", ""), kGenerated).endpoint, Endpoint::metrics);
    for (auto request :
         {get("/api/queue", ""), get("/api/transports", ""), get("/api/summary", ""),
          get("/api/trace?q=a%40b", ""), get("/api/doctor?domain=example.com", ""),
          post("/api/queue/flush", ""), post("/api/queue/0abc123def4560001xyz/delete", ""),
          post("/api/queue/0abc123def4560001xyz/bounce", "Bearer wrong-wrong-wrong-wrong")}) {
        EXPECT_EQ(refused(request, kGenerated).status, 401u) << request.target;
    }
    EXPECT_EQ(routed(post("/api/queue/0abc123def4560001xyz/bounce"), kGenerated).action, "bounce");
}

TEST(RequestRouter, WithoutAnyTokenNothingButTheConsoleIsServed) {
    for (AdminAccess access : {AdminAccess{}, AdminAccess{.loopback_only = true}}) {
        EXPECT_EQ(routed(get("/", ""), access).endpoint, Endpoint::console);
        EXPECT_EQ(refused(get("/api/queue", ""), access).status, 401u);
        EXPECT_EQ(refused(get("/api/queue", "Bearer "), access).status, 401u);
        EXPECT_EQ(refused(post("/api/queue/flush"), access).status, 401u);
    }
}

TEST(RequestRouter, TheConsolePageNeedsNoToken) {
    EXPECT_EQ(routed(get("/", "")).endpoint, Endpoint::console);
    EXPECT_EQ(routed(get("/", ""), kGenerated).endpoint, Endpoint::console);
}

TEST(RequestRouter, TheConsolesFilesNeedNoTokenAndNameTheirPath) {
    for (std::string_view path : {"/", "/console.css", "/console.js"}) {
        auto route = routed(get(path, ""), kGenerated);
        EXPECT_EQ(route.endpoint, Endpoint::console) << path;
        EXPECT_EQ(route.id, path);
    }
    EXPECT_EQ(refused(get("/console.map", "")).status, 401u);
    EXPECT_EQ(refused(post("/console.js", "")).status, 405u);
}

TEST(RequestRouter, RoutesTheConsolesEndpoints) {
    auto message = routed(get("/api/queue/0abc123def4560001xyz"));
    EXPECT_EQ(message.endpoint, Endpoint::queue_message);
    EXPECT_EQ(message.id, "0abc123def4560001xyz");
    EXPECT_EQ(refused(post("/api/queue/0abc123def4560001xyz")).status, 405u);
    // Whether such a message is queued is the server's to say (404 then), not the router's.
    EXPECT_EQ(routed(get("/api/queue/abc")).endpoint, Endpoint::queue_message);
    EXPECT_EQ(refused(get("/api/queue/a.b")).status, 404u);
    EXPECT_EQ(routed(get("/api/census")).endpoint, Endpoint::census);
    EXPECT_EQ(routed(get("/api/history")).endpoint, Endpoint::history);
    EXPECT_EQ(routed(get("/api/dkim")).endpoint, Endpoint::dkim);
    EXPECT_EQ(routed(get("/api/routes")).endpoint, Endpoint::routes);
    auto events = routed(get("/api/events?type=bounced&limit=5"));
    EXPECT_EQ(events.endpoint, Endpoint::events);
    EXPECT_EQ(events.params.get("type"), "bounced");
    // Message data, like the rest of the API: never without the token.
    for (std::string_view target : {"/api/queue/0abc123def4560001xyz", "/api/census",
                                    "/api/history", "/api/dkim", "/api/routes", "/api/events"}) {
        EXPECT_EQ(refused(get(target, ""), kGenerated).status, 401u) << target;
    }
}

TEST(RequestRouter, WithAConfiguredTokenAnyHostIsAccepted) {
    HttpRequest request{.method = "GET",
                        .target = "/metrics",
                        .host = "admin.example.com:8025",
                        .authorization = kBearer};
    EXPECT_EQ(routed(request).endpoint, Endpoint::metrics);
}

TEST(RequestRouter, WithAGeneratedTokenOnlyLoopbackHostsAreServed) {
    for (std::string_view host :
         {"127.0.0.1:8025", "localhost:8025", "LOCALHOST", "[::1]:8025", "127.0.0.2"}) {
        HttpRequest request{.method = "GET", .target = "/metrics", .host = host};
        EXPECT_EQ(routed(request, kGenerated).endpoint, Endpoint::metrics) << host;
    }
    // DNS rebinding: a page of evil.example whose name now resolves to 127.0.0.1.
    for (std::string_view host :
         {"evil.example:8025", "", "[::1", "192.0.2.1:8025", "localhost.evil.example"}) {
        HttpRequest request{.method = "GET", .target = "/metrics", .host = host};
        EXPECT_EQ(refused(request, kGenerated).status, 403u) << host;
    }
}

TEST(RequestRouter, CrossOriginRequestsAreRefused) {
    HttpRequest request = post("/api/queue/flush");
    request.origin = "http://evil.example";
    EXPECT_EQ(refused(request).status, 403u);
    request.origin = "null";
    EXPECT_EQ(refused(request).status, 403u);
    request.origin = "http://127.0.0.1:8025";  // the console itself
    EXPECT_EQ(routed(request).action, "flush");
}

TEST(Authorized, AcceptsOnlyTheExactBearerToken) {
    const std::string token(kToken);
    EXPECT_TRUE(authorized("Bearer " + token, kToken));
    EXPECT_TRUE(authorized("bearer " + token, kToken));  // RFC 9110 11.1: scheme is case-free
    EXPECT_FALSE(authorized("", kToken));
    EXPECT_FALSE(authorized("Bearer", kToken));
    EXPECT_FALSE(authorized("Bearer ", kToken));
    EXPECT_FALSE(authorized("Basic " + token, kToken));
    EXPECT_FALSE(authorized("Bearer " + token + "x", kToken));
    EXPECT_FALSE(authorized("Bearer " + token.substr(1), kToken));
    EXPECT_FALSE(authorized("Bearer " + token.substr(0, token.size() - 1) + "X", kToken));
    EXPECT_FALSE(authorized("Bearer  " + token, kToken));
    EXPECT_FALSE(authorized("Bearer x", ""));
    EXPECT_FALSE(authorized("Bearer ", ""));
}

}  // namespace
}  // namespace herald::admin
