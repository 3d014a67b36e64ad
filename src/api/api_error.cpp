#include "api/api_error.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace herald::api {

admin::HttpResponse api_error(unsigned status, std::string_view code, std::string_view message,
                              std::string_view recipient) {
    boost::json::object body{{"code", code}, {"message", message}};
    if (!recipient.empty()) body["recipient"] = recipient;
    return admin::HttpResponse{.status = status, .body = boost::json::serialize(body)};
}

admin::HttpResponse unauthorized(const admin::HttpRequest& request) {
    admin::HttpResponse response =
        api_error(401, "unauthorized",
                  request.authorization.empty() ? "an API key is required (Authorization: Bearer)"
                                                : "the API key is not valid");
    response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"herald\"");
    return response;
}

}  // namespace herald::api
