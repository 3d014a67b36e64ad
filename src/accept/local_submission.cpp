#include "accept/local_submission.hpp"

#include <pwd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <charconv>
#include <chrono>

#include "accept/envelope_check.hpp"
#include "message/header_block.hpp"
#include "policy/session_gate.hpp"
#include "spool/incoming_text.hpp"

namespace herald::accept {

namespace json = boost::json;

std::string local_user_name(uid_t uid) {
    if (const passwd* account = ::getpwuid(uid); account != nullptr && account->pw_name) {
        return account->pw_name;
    }
    return "uid" + std::to_string(uid);
}

std::string encode_local_request(const LocalRequest& request) {
    json::array recipients;
    for (const auto& recipient : request.recipients) recipients.emplace_back(recipient);
    json::object object{{"sender", request.sender},
                        {"sender_given", request.sender_given},
                        {"recipients", std::move(recipients)},
                        {"full_name", request.full_name}};
    const message::MessageDsn& dsn = request.dsn;
    if (dsn.notify) object["notify"] = message::notify_text(*dsn.notify);
    if (dsn.ret != message::DsnReturn::unspecified) {
        object["ret"] = message::dsn_return_text(dsn.ret);
    }
    if (!dsn.envelope_id.empty()) object["envid"] = dsn.envelope_id;
    return json::serialize(object) + "\n";
}

namespace {

// RFC 3461's values, checked as SMTP's parameters are: a request that breaks them is refused.
Status parse_local_dsn(std::string_view notify, std::string_view ret, std::string_view envid,
                       message::MessageDsn& dsn) {
    if (!notify.empty()) {
        dsn.notify = message::parse_notify(notify);
        if (!dsn.notify) return Error{"the request's notify is not a NOTIFY value"};
    }
    if (!ret.empty()) {
        const auto parsed = message::parse_dsn_return(ret);
        if (!parsed) return Error{"the request's ret is neither FULL nor HDRS"};
        dsn.ret = *parsed;
    }
    if (!envid.empty()) {
        auto parsed = message::parse_plain_envelope_id(envid);
        if (!parsed) return Error{"the request's envid is not 1 to 100 printable characters"};
        dsn.envelope_id = std::move(*parsed);
    }
    return ok_status();
}

}  // namespace

Result<LocalRequest> parse_local_request(std::string_view line) {
    boost::system::error_code ec;
    json::value value = json::parse(line, ec);
    const json::object* object = ec ? nullptr : value.if_object();
    if (object == nullptr) return Error{"the request is not a JSON object"};
    LocalRequest request;
    auto text = [&](std::string_view key, std::string& out) {
        const json::value* found = object->if_contains(key);
        if (found == nullptr) return true;
        if (!found->is_string()) return false;
        out = std::string(found->get_string());
        return true;
    };
    const json::value* given = object->if_contains("sender_given");
    const json::value* recipients = object->if_contains("recipients");
    if (!text("sender", request.sender) || !text("full_name", request.full_name) ||
        (given != nullptr && !given->is_bool()) || recipients == nullptr ||
        !recipients->is_array()) {
        return Error{"the request lacks recipients or holds a value of the wrong type"};
    }
    request.sender_given = given != nullptr && given->get_bool();
    for (const auto& recipient : recipients->get_array()) {
        if (!recipient.is_string()) return Error{"a recipient is not a string"};
        request.recipients.emplace_back(recipient.get_string());
    }
    std::string notify, ret, envid;
    if (!text("notify", notify) || !text("ret", ret) || !text("envid", envid)) {
        return Error{"the request's DSN values are not strings"};
    }
    if (auto dsn = parse_local_dsn(notify, ret, envid, request.dsn); !dsn)
        return Error{dsn.error()};
    return request;
}

std::string encode_local_reply(const smtp::Reply& reply) {
    std::string text;
    for (const auto& line : reply.lines) text += (text.empty() ? "" : " ") + line;
    for (char& c : text) {
        if (c == '\r' || c == '\n') c = ' ';
    }
    return std::to_string(reply.code) + " " + reply.enhanced + " " + text + "\n";
}

Result<smtp::Reply> parse_local_reply(std::string_view line) {
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    int code = 0;
    auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), code);
    if (ec != std::errc{} || code < 200 || code > 599 || end == line.data() + line.size() ||
        *end != ' ') {
        return Error{"the server's reply is not an SMTP reply: " + std::string(line.substr(0, 80))};
    }
    std::string_view rest(end + 1, line.data() + line.size() - (end + 1));
    const auto space = rest.find(' ');
    return smtp::Reply(code, std::string(rest.substr(0, space)),
                       std::string(space == std::string_view::npos ? "" : rest.substr(space + 1)));
}

boost::asio::awaitable<smtp::Reply> accept_local(Acceptance& acceptance, queue::Intake& intake,
                                                 BlockingPool& pool, policy::Policies& policies,
                                                 state::SharedRateLimits* shared_limits,
                                                 const std::string& hostname,
                                                 const LocalRequest& request,
                                                 const std::string& user, std::string data) {
    message::Envelope envelope;
    envelope.protocol = "local";
    envelope.auth_user = user;
    envelope.arrival = std::chrono::system_clock::now();
    const std::string sender = request.sender_given ? request.sender : user + "@" + hostname;
    policy::SessionGate gate(policies.relay, policies.limiter.get(), &policies.suppressing,
                             policies.limits_shared);
    smtp::SessionView view{.mode = smtp::SessionMode::relay, .local_user = true};
    if (auto refused = check_envelope(gate, view, sender, request.recipients, hostname, envelope)) {
        smtp::Reply reply = refused->reply;
        const std::string who =
            (refused->is_sender ? "sender <" : "recipient <") + refused->address + ">: ";
        for (auto& line : reply.lines) line = who + line;
        co_return reply;
    }
    if (gate.query_pending()) {
        if (auto over = co_await shared_limits->settle(gate, *policies.limiter)) co_return *over;
    }
    envelope.ask_for(request.dsn);
    // In memory when it fits, as an SMTP client's text; a larger one to its file, on the pool.
    spool::IncomingText text = intake.incoming();
    if (!text.keep_in_memory(data)) co_await pool.run([&] { text.append(data); });
    const std::uint64_t header_size = message::header_section_end(data);
    data.resize(header_size);
    Submission submission{.envelope = std::move(envelope),
                          .submission = true,
                          .add_missing_from = true,
                          .from_display_name = request.full_name,
                          .text = &text,
                          .header_size = header_size,
                          .headers = std::move(data)};
    auto verdict = co_await acceptance.accept(submission, policies);
    if (auto* refused = std::get_if<smtp::Reply>(&verdict)) co_return *refused;
    co_return smtp::Reply(250, "2.0.0", "queued as " + std::get<queue::Accepted>(verdict).id);
}

}  // namespace herald::accept
