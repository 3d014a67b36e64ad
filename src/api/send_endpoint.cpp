#include "api/send_endpoint.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <deque>
#include <exception>
#include <span>
#include <variant>

#include "accept/envelope_check.hpp"
#include "admin/request_router.hpp"
#include "api/api_error.hpp"
#include "api/api_key.hpp"
#include "api/message_request.hpp"
#include "api/mime_message.hpp"
#include "api/substitutions.hpp"
#include "base/address_parts.hpp"
#include "base/ascii_case.hpp"
#include "mailauth/dkim/signing_keys.hpp"
#include "message/header_block.hpp"
#include "policy/session_gate.hpp"
#include "spool/incoming_text.hpp"

namespace herald::api {

namespace asio = boost::asio;
using admin::HttpRequest;
using admin::HttpResponse;

namespace {

// What a client is told to wait before trying again after a refusal that will pass.
constexpr std::string_view kRetryAfterSeconds = "60";

HttpResponse retry_later(unsigned status, std::string_view code, std::string_view message) {
    HttpResponse response = api_error(status, code, message);
    response.headers.emplace_back("Retry-After", std::string(kRetryAfterSeconds));
    return response;
}

// What the acceptance steps answered, in HTTP. The SMTP reply stays in the message: it is
// what an operator finds in the logs.
HttpResponse refusal(const smtp::Reply& reply, std::string_view recipient = {}) {
    const std::string said = reply.summary();
    if (reply.code == 451 && reply.enhanced == "4.7.1") {  // policy::SessionGate: a rate limit
        return retry_later(429, "rate_limited", said);
    }
    if (reply.code == 452 && reply.enhanced == "4.3.1") {
        return retry_later(503, "insufficient_storage", said);
    }
    if (reply.transient()) return retry_later(503, "temporarily_unavailable", said);
    // policy::SessionGate: the recipient is on a suppression list.
    if (said.find("> suppressed since ") != std::string::npos) {
        return api_error(422, "suppressed", said, recipient);
    }
    return api_error(422, "rejected", said, recipient);
}

// A message as a client wrote it may end its lines in LF alone; the spool holds CRLF.
std::string with_crlf(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 32);
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\r') {
            out += "\r\n";
            if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
        } else if (c == '\n') {
            out += "\r\n";
        } else {
            out += c;
        }
    }
    if (!out.ends_with("\r\n")) out += "\r\n";
    return out;
}

// One message to queue: its recipients and its text.
struct Outgoing {
    std::vector<std::string> recipients;
    std::string text;
};
using Composed = std::variant<std::vector<Outgoing>, HttpResponse>;

// One recipient's message of a batch, its placeholders filled in.
std::variant<Outgoing, HttpResponse> personalised(const MessageRequest& request,
                                                  const Mailbox& recipient) {
    const auto& values = request.substitutions.at(recipient.address);
    std::string parts[3];
    const std::string_view sources[3] = {request.subject, request.text, request.html};
    for (int i = 0; i < 3; ++i) {
        auto filled = substitute(sources[i], values);
        if (!filled) {
            return api_error(422, "missing_substitutions", filled.error(), recipient.address);
        }
        parts[i] = std::move(*filled);
    }
    if (parts[0].find_first_of("\r\n") != std::string::npos) {
        return api_error(400, "header_injection", "a substitution puts a line break in the subject",
                         recipient.address);
    }
    auto built = build_mime_message(MimeContent{.request = request,
                                                .to = std::span<const Mailbox>(&recipient, 1),
                                                .subject = parts[0],
                                                .text = parts[1],
                                                .html = parts[2]});
    if (!built) return api_error(422, "invalid_message", built.error(), recipient.address);
    return Outgoing{{recipient.address}, std::move(*built)};
}

// 5. The messages of a request: the raw one, the one built, or one per batch recipient.
Composed compose(const MessageRequest& request, std::uint64_t max_message_size) {
    std::vector<Outgoing> out;
    if (request.raw) {
        out.push_back({request.recipients(), with_crlf(*request.raw)});
    } else if (!request.is_batch()) {
        auto built = build_mime_message(MimeContent{.request = request,
                                                    .to = request.to,
                                                    .subject = request.subject,
                                                    .text = request.text,
                                                    .html = request.html});
        if (!built) return api_error(422, "invalid_message", built.error());
        out.push_back({request.recipients(), std::move(*built)});
    } else {
        for (const auto& recipient : request.to) {
            auto one = personalised(request, recipient);
            if (auto* refused = std::get_if<HttpResponse>(&one)) return std::move(*refused);
            out.push_back(std::move(std::get<Outgoing>(one)));
        }
    }
    for (const auto& message : out) {
        if (message.text.size() > max_message_size) {
            return api_error(413, "too_large",
                             "the message is " + std::to_string(message.text.size()) +
                                 " octets; the limit is " + std::to_string(max_message_size));
        }
    }
    return out;
}

// 4. The key sends only as its own domains, in the envelope and in From: alike.
std::optional<HttpResponse> sender_refusal(const policy::RelayPolicy& relay,
                                           const config::ApiKey& key,
                                           const MessageRequest& request) {
    std::string domain = ascii_lowercase(domain_of(request.from.address));
    if (!relay.may_send_as_domain(key.user(), domain)) {
        return api_error(403, "sender_not_allowed",
                         "API key " + key.name + " may not send as " + domain);
    }
    if (request.raw) {
        const auto author = mailauth::dkim::author_domain(*request.raw);
        if (!author) {
            return api_error(422, "invalid_message", "the message needs one From: address");
        }
        if (!relay.may_send_as_domain(key.user(), *author)) {
            return api_error(403, "sender_not_allowed",
                             "API key " + key.name + " may not send From: " + *author);
        }
    }
    return std::nullopt;
}

// The answer to a request that passed steps 1 and 2.
class Sending {
  public:
    Sending(const SendServices& services, const HttpRequest& request, const config::ApiKey& key,
            std::shared_ptr<policy::Policies> policies)
        : services_(services), request_(request), key_(key), policies_(std::move(policies)) {}

    asio::awaitable<HttpResponse> answer() {
        auto parsed = parse_message_request(request_.body, RequestLimits{});
        if (auto* error = std::get_if<RequestError>(&parsed)) {
            co_return api_error(error->status, error->code, error->message);
        }
        const MessageRequest& message = std::get<MessageRequest>(parsed);
        if (auto refused = sender_refusal(policies_->relay, key_, message)) co_return *refused;
        const std::uint64_t limit = services_.max_message_size;
        auto composed =
            co_await services_.pool->run([&message, limit] { return compose(message, limit); });
        if (auto* refused = std::get_if<HttpResponse>(&composed)) co_return std::move(*refused);
        auto& outgoing = std::get<std::vector<Outgoing>>(composed);
        if (auto refused = co_await check_envelopes(message, outgoing)) {
            co_return std::move(*refused);
        }
        if (auto refused = co_await write_texts(outgoing)) co_return std::move(*refused);
        co_return co_await queue_all();
    }

  private:
    asio::awaitable<std::optional<HttpResponse>> check_envelopes(
        const MessageRequest& message, const std::vector<Outgoing>& outgoing) {
        const std::string user = key_.user();
        const smtp::SessionView view{.mode = smtp::SessionMode::submission,
                                     .client_ip = request_.client_ip,
                                     .auth_user = user};
        for (const auto& one : outgoing) {
            // One gate a message: each counts once against the rate limits, as over SMTP.
            policy::SessionGate gate(policies_->relay, policies_->limiter.get(),
                                     &policies_->suppressing, policies_->limits_shared);
            auto& submission = submissions_.emplace_back();
            submission.submission = true;
            message::Envelope& envelope = submission.envelope;
            if (auto refused =
                    accept::check_envelope(gate, view, message.from.address, one.recipients,
                                           services_.hostname, envelope)) {
                co_return refusal(refused->reply, refused->address);
            }
            if (gate.query_pending()) {
                auto over = co_await services_.shared_limits->settle(gate, *policies_->limiter);
                if (over) co_return refusal(*over, message.from.address);
            }
            envelope.client_ip = request_.client_ip;
            envelope.auth_user = user;
            envelope.protocol = "http";
            envelope.require_tls = message.require_tls;
            envelope.ask_for(message.dsn);
            envelope.arrival = std::chrono::system_clock::now();
        }
        co_return std::nullopt;
    }

    // The texts into the spool's incoming texts, and their header sections read back. A text
    // that fits in memory stays there, as an SMTP client's does; only the larger ones are
    // written to their files, on the pool.
    asio::awaitable<std::optional<HttpResponse>> write_texts(std::vector<Outgoing>& outgoing) {
        std::vector<std::size_t> to_files;
        for (std::size_t i = 0; i < outgoing.size(); ++i) {
            auto& text = texts_.emplace_back(services_.intake->incoming());
            auto& submission = submissions_[i];
            submission.text = &text;
            submission.header_size = message::header_section_end(outgoing[i].text);
            submission.headers = outgoing[i].text.substr(0, submission.header_size);
            if (text.keep_in_memory(outgoing[i].text)) {
                std::string().swap(outgoing[i].text);
            } else {
                to_files.push_back(i);
            }
        }
        if (!to_files.empty()) {
            co_await services_.pool->run([this, &to_files, &outgoing] {
                for (const std::size_t i : to_files) {
                    texts_[i].append(outgoing[i].text);
                    std::string().swap(outgoing[i].text);
                }
            });
        }
        for (const auto& text : texts_) {
            if (text.error().empty()) continue;
            const smtp::Reply reply =
                text.disk_full()
                    ? smtp::Reply(452, "4.3.1", "Insufficient system storage, try again later")
                    : smtp::Reply(451, "4.3.0", "Local error in processing, try again later");
            co_return refusal(reply);
        }
        co_return std::nullopt;
    }

    // 6. All prepared, then all stored, then all announced: nothing is half-queued.
    asio::awaitable<HttpResponse> queue_all() {
        accept::Acceptance& acceptance = *services_.acceptance;
        std::vector<accept::Acceptance::Prepared> prepared;
        for (const auto& submission : submissions_) {
            auto one = co_await acceptance.prepare(submission, *policies_);
            if (auto* refused = std::get_if<smtp::Reply>(&one)) co_return refusal(*refused);
            prepared.push_back(std::move(std::get<accept::Acceptance::Prepared>(one)));
        }
        std::vector<queue::Accepted> stored;
        for (const auto& one : prepared) {
            auto verdict = co_await acceptance.store(one);
            if (auto* refused = std::get_if<smtp::Reply>(&verdict)) {
                for (const auto& accepted : stored) co_await acceptance.withdraw(accepted);
                co_return refusal(*refused);
            }
            stored.push_back(std::get<queue::Accepted>(verdict));
        }
        boost::json::array messages;
        for (std::size_t i = 0; i < stored.size(); ++i) {
            co_await acceptance.announce(prepared[i], stored[i]);
            boost::json::array recipients;
            for (const auto& r : submissions_[i].envelope.recipients) recipients.emplace_back(r);
            messages.push_back(
                boost::json::object{{"id", stored[i].id}, {"recipients", recipients}});
        }
        boost::json::object body{{"id", stored.front().id}, {"messages", std::move(messages)}};
        co_return HttpResponse{.status = 202, .body = boost::json::serialize(body)};
    }

    const SendServices& services_;
    const HttpRequest& request_;
    const config::ApiKey& key_;
    std::shared_ptr<policy::Policies> policies_;
    std::deque<accept::Submission> submissions_;  // stable: Prepared points at them
    std::deque<spool::IncomingText> texts_;       // removed when the request is done
};

// Worth keeping for a retry: what the same request would be told again.
bool is_final(const HttpResponse& response) {
    return response.status < 500 && response.status != 429 && response.status != 409;
}

}  // namespace

std::optional<HttpResponse> refuse_before_body(const SendServices& services,
                                               const HttpRequest& header) {
    if (header.target.substr(0, header.target.find('?')) != admin::kSendPath) return std::nullopt;
    if (api_key_for(header.authorization, services.policies()->api_keys)) return std::nullopt;
    return unauthorized(header);
}

asio::awaitable<HttpResponse> answer_api_listener(const SendServices& services,
                                                  const HttpRequest& request) {
    const auto path = request.target.substr(0, request.target.find('?'));
    if (path != admin::kSendPath) co_return api_error(404, "not_found", "no such endpoint");
    if (request.method != "POST") {
        HttpResponse response = api_error(405, "method_not_allowed", "use POST here");
        response.headers.emplace_back("Allow", "POST");
        co_return response;
    }
    co_return co_await send_messages(services, request);
}

std::size_t request_body_limit(std::uint64_t max_message_size) {
    // base64 is 4/3 of its bytes; the rest is room for the JSON around it.
    return static_cast<std::size_t>(max_message_size / 3 * 4 + 64 * 1024);
}

asio::awaitable<HttpResponse> send_messages(const SendServices& services,
                                            const HttpRequest& request) {
    auto policies = services.policies();
    const config::ApiKey* key = api_key_for(request.authorization, policies->api_keys);
    if (!key) co_return unauthorized(request);
    // 2. A retry of a request already answered gets that answer, and nothing is queued.
    const std::string_view idempotency_key = request.idempotency_key;
    if (!idempotency_key.empty()) {
        if (!is_valid_idempotency_key(idempotency_key)) {
            co_return api_error(400, "invalid_idempotency_key",
                                "an Idempotency-Key is 1 to 255 printable ASCII characters");
        }
        auto claimed = co_await services.idempotency->claim(key->name, std::string(idempotency_key),
                                                            sha256_hex(request.body));
        using Claim = IdempotencyStore::Claim;
        switch (claimed.claim) {
            case Claim::replay: {
                HttpResponse replay{.status = claimed.answer.status,
                                    .body = std::move(claimed.answer.body)};
                replay.headers.emplace_back("Idempotent-Replayed", "true");
                co_return replay;
            }
            case Claim::in_progress:
                co_return retry_later(409, "request_in_progress",
                                      "a request with this Idempotency-Key is still running");
            case Claim::mismatch:
                co_return api_error(422, "idempotency_key_reused",
                                    "this Idempotency-Key was used for another request");
            case Claim::fresh:
                break;
        }
    }
    HttpResponse response;
    std::exception_ptr failure;
    try {
        Sending sending(services, request, *key, policies);  // `key` lives in `policies`
        response = co_await sending.answer();
    } catch (...) {
        failure = std::current_exception();  // no co_await in a handler: the claim goes below
    }
    if (failure) {
        if (!idempotency_key.empty()) {
            co_await services.idempotency->abandon(key->name, std::string(idempotency_key));
        }
        std::rethrow_exception(failure);
    }
    if (response.status >= 400 && services.log_refusal) {
        services.log_refusal(request.client_ip, "API key=" + key->name,
                             std::to_string(response.status) + " " + response.body);
    }
    if (idempotency_key.empty()) co_return response;
    if (!is_final(response)) {
        co_await services.idempotency->abandon(key->name, std::string(idempotency_key));
        co_return response;
    }
    // Durable before the client hears 202: a crash after it cannot make a retry send twice.
    // Named first: GCC 12 miscompiles a braced temporary in a co_await's arguments.
    IdempotencyKeys::Answer answer{response.status, response.body};
    const bool kept = co_await services.idempotency->complete(
        key->name, std::string(idempotency_key), std::move(answer));
    // Not kept: a retry then sends again, which the client is told.
    if (!kept) response.headers.emplace_back("Warning", "199 herald \"Idempotency-Key not kept\"");
    co_return response;
}

}  // namespace herald::api
