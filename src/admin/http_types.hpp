#pragma once
// The admin server's view of HTTP: what a request carries that matters to it, and the
// response to send. Free of sockets, so that routing and answers are tested without them.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald::admin {

// Views into the parsed request: valid while it is.
struct HttpRequest {
    std::string_view method;
    std::string_view target;           // origin-form: "/api/queue?limit=10"
    std::string_view host;             // the Host header
    std::string_view authorization;    // the Authorization header, "" when absent
    std::string_view origin;           // the Origin header, "" when absent
    std::string_view idempotency_key;  // the Idempotency-Key header, "" when absent
    std::string_view body;             // read only for POST /api/v1/messages
    std::string client_ip;             // of the connection
};

struct HttpResponse {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // WWW-Authenticate, Allow, ...
};

// {"error": message}; with a code, as the sending API answers: {"code", "message", "error"}.
HttpResponse json_error(unsigned status, std::string_view message, std::string_view code = {});

}  // namespace herald::admin
