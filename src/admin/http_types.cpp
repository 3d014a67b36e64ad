#include "admin/http_types.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace herald::admin {

HttpResponse json_error(unsigned status, std::string_view message, std::string_view code) {
    boost::json::object body = {{"error", message}};
    if (!code.empty()) {
        body["code"] = code;
        body["message"] = message;
    }
    return HttpResponse{.status = status, .body = boost::json::serialize(body)};
}

}  // namespace herald::admin
