#pragma once
// POST /api/v1/messages: the HTTP API's way in. An adapter, as the SMTP session is: it reads
// the request, builds its messages and hands them to the acceptance steps
// (accept/acceptance.hpp), then says in HTTP what they said. In order:
//   1. the API key (Authorization: Bearer <token>; [[api_key]] keeps its SHA-256)    401
//   2. the Idempotency-Key: a retry gets the first answer (idempotency_store.hpp)    409 422
//   3. the JSON (message_request.hpp)                                          400 413 422
//   4. the key's sender domains, for the envelope sender and the From: domain        403
//   5. each message built (mime_message.hpp; a batch's substitutions.hpp), and its
//      envelope put to the same checks as over SMTP (accept::check_envelope)     422 429
//   6. every message prepared, then stored, then announced: a batch is queued whole or
//      not at all                                                                 202 503
// The key is the message's user "api:<name>" to every policy and in the mainlog (A=).
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "accept/acceptance.hpp"
#include "admin/http_types.hpp"
#include "api/idempotency_keys.hpp"
#include "base/blocking_pool.hpp"
#include "policy/policies.hpp"
#include "queue/intake.hpp"
#include "state/shared_rate_limits.hpp"

namespace herald::api {

struct SendServices {
    accept::Acceptance* acceptance = nullptr;
    queue::Intake* intake = nullptr;  // for the files the messages are written to
    BlockingPool* pool = nullptr;
    IdempotencyKeys* idempotency = nullptr;
    state::SharedRateLimits* shared_limits = nullptr;  // [cluster]: limits counted in Redis
    // The policies in force now (a reload swaps them; a request keeps the set it started with).
    std::function<std::shared_ptr<policy::Policies>()> policies;
    std::string hostname;
    std::uint64_t max_message_size = 0;  // each message built, as [limits] max_message_size
    // A refused request, for the rejectlog: who, what ("API key=<name>") and the answer.
    std::function<void(const std::string& client_ip, const std::string& what,
                       const std::string& answer)>
        log_refusal;
};

// The most a request body may hold: every message at its largest, base64 and JSON around it.
std::size_t request_body_limit(std::uint64_t max_message_size);

boost::asio::awaitable<admin::HttpResponse> send_messages(const SendServices& services,
                                                          const admin::HttpRequest& request);

// Step 1 before the body is read: a request to send without a valid key is not worth
// reading. Other paths pass.
std::optional<admin::HttpResponse> refuse_before_body(const SendServices& services,
                                                      const admin::HttpRequest& header);

// A [[listener]] mode = "http" serves POST /api/v1/messages and nothing else.
boost::asio::awaitable<admin::HttpResponse> answer_api_listener(const SendServices& services,
                                                                const admin::HttpRequest& request);

}  // namespace herald::api
