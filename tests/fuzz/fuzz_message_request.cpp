// The body of POST /api/v1/messages: whatever a client sends is either refused with a status,
// a code and a printable message, or accepted as a request the MIME builder can build.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "api/message_request.hpp"
#include "base/utf8.hpp"
#include "fuzz_check.hpp"

using herald::api::MessageRequest;
using herald::api::RequestError;

namespace {

bool has_line_break(std::string_view s) {
    return s.find_first_of("\r\n") != std::string_view::npos;
}

// An error message goes into a JSON answer and a log line as it is.
void check_refusal(const RequestError& error) {
    FUZZ_CHECK(error.status == 400 || error.status == 413 || error.status == 422);
    FUZZ_CHECK(!error.code.empty());
    FUZZ_CHECK(herald::valid_utf8(error.message));
    for (char c : error.message) FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
}

void check_request(const MessageRequest& request, const herald::api::RequestLimits& limits) {
    FUZZ_CHECK(request.from.address.find('@') != std::string::npos);
    FUZZ_CHECK(!request.to.empty());
    const auto recipients = request.recipients();
    FUZZ_CHECK(recipients.size() <= limits.max_recipients);
    FUZZ_CHECK(std::set<std::string>(recipients.begin(), recipients.end()).size() ==
               recipients.size());
    for (const auto* list : {&request.to, &request.cc, &request.bcc}) {
        for (const auto& box : *list) FUZZ_CHECK(!has_line_break(box.name));
    }
    FUZZ_CHECK(!has_line_break(request.from.name));
    if (request.raw) {
        FUZZ_CHECK(!request.raw->empty());
        FUZZ_CHECK(request.raw->find('\0') == std::string::npos);
        FUZZ_CHECK(request.subject.empty() && request.text.empty() && request.html.empty());
        FUZZ_CHECK(request.attachments.empty() && request.headers.empty());
        FUZZ_CHECK(!request.is_batch());
    }
    FUZZ_CHECK(!has_line_break(request.subject) && request.subject.size() <= 998);
    FUZZ_CHECK(herald::valid_utf8(request.subject) && herald::valid_utf8(request.text) &&
               herald::valid_utf8(request.html));
    FUZZ_CHECK(request.attachments.size() <= limits.max_attachments);
    FUZZ_CHECK(request.headers.size() <= limits.max_headers);
    for (const auto& [name, value] : request.headers) {
        FUZZ_CHECK(!name.empty() && name.find(':') == std::string::npos);
        FUZZ_CHECK(!has_line_break(value));
    }
    if (request.is_batch()) {
        FUZZ_CHECK(request.cc.empty() && request.bcc.empty());
        FUZZ_CHECK(request.substitutions.size() == request.to.size());
        for (const auto& to : request.to) FUZZ_CHECK(request.substitutions.contains(to.address));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    // Small limits, so that the fuzzer reaches them.
    const herald::api::RequestLimits limits{
        .max_recipients = 4, .max_attachments = 2, .max_headers = 2};
    const auto result = herald::api::parse_message_request(body, limits);
    if (const auto* error = std::get_if<RequestError>(&result)) {
        check_refusal(*error);
    } else {
        check_request(std::get<MessageRequest>(result), limits);
    }
    return 0;
}
