#pragma once
// /api/v1/suppressions: the suppression lists over HTTP (docs/events.md), as
// `herald suppress` has them on the command line.
//   GET    ?domain=D&address=A&limit=N&after=A   entries (one address: 404 when not listed)
//   POST   {"address", "domain", "reason"}      201 added, 200 already there
//   DELETE ?address=A&domain=D                  204, 404 when there was none
// The admin token may touch every list (and "*", the global one); an [[api_key]] only the
// lists of the domains it may send as, and it must name one.
#include <boost/asio/awaitable.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "admin/http_types.hpp"
#include "base/blocking_pool.hpp"
#include "policy/policies.hpp"
#include "suppression/suppressions.hpp"

namespace herald::api {

struct SuppressionServices {
    suppression::Suppressions* suppressions = nullptr;
    BlockingPool* pool = nullptr;
    std::string admin_token;
    std::function<std::shared_ptr<policy::Policies>()> policies;
};

boost::asio::awaitable<admin::HttpResponse> manage_suppressions(const SuppressionServices& services,
                                                                const admin::HttpRequest& request);

}  // namespace herald::api
