#include "admin/http_types.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace herald::admin {

HttpResponse json_error(unsigned status, std::string_view message) {
    boost::json::value body = {{"error", message}};
    return HttpResponse{.status = status, .body = boost::json::serialize(body)};
}

}  // namespace herald::admin
