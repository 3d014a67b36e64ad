#include "dns/resolver.hpp"

namespace herald::dns {

std::string_view to_string(Status status) {
    switch (status) {
        case Status::ok:
            return "ok";
        case Status::nxdomain:
            return "nxdomain";
        case Status::nodata:
            return "nodata";
        case Status::servfail:
            return "servfail";
        case Status::timeout:
            return "timeout";
        case Status::error:
            return "error";
    }
    return "error";
}

}  // namespace herald::dns
