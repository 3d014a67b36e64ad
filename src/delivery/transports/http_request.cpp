#include "delivery/transports/http_request.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <sstream>

#include "base/utf8.hpp"
#include "smtp/base64.hpp"

namespace herald::delivery {

namespace http = boost::beast::http;

namespace {

// RFC 9110 5.5: visible characters, space, tab, and obs-text (which carries the UTF-8 of an
// internationalised address, RFC 6531). Never CR, LF or NUL.
bool fits_header_value(std::string_view value) {
    return std::all_of(value.begin(), value.end(), [](char ch) {
        const auto c = static_cast<unsigned char>(ch);
        return c == '\t' || (c >= 0x20 && c != 0x7f);
    });
}

std::string json_of(const Delivery& delivery) {
    boost::json::object o;
    o["mail_from"] = delivery.envelope.sender;
    boost::json::array rcpt_to;
    for (const auto& recipient : delivery.recipients) rcpt_to.emplace_back(recipient);
    o["rcpt_to"] = std::move(rcpt_to);
    o["message_id"] = delivery.message_id;
    if (valid_utf8(delivery.data)) {
        o["message"] = delivery.data;
    } else {
        o["message_base64"] = smtp::encode_base64(delivery.data);
    }
    return boost::json::serialize(o);
}

http::request_header<> post_head(const HttpUrl& url) {
    http::request_header<> head;
    head.method(http::verb::post);
    head.target(url.target);
    head.version(11);
    head.set(http::field::host, url.host_header());
    head.set(http::field::user_agent, "Herald");
    // One request per connection: no idle connection to manage or to find closed later.
    head.set(http::field::connection, "close");
    return head;
}

void finish_head(HttpRequest& request, http::request_header<>& head) {
    head.set(http::field::content_length, std::to_string(request.body().size()));
    std::ostringstream out;
    out << head;
    request.head = out.str();
}

}  // namespace

HttpRequest HttpRequest::json_post(const HttpUrl& url, std::string json,
                                   const std::vector<HeaderValue>& fields) {
    return post(url, "application/json", std::move(json), fields);
}

HttpRequest HttpRequest::post(const HttpUrl& url, std::string_view content_type, std::string body,
                              const std::vector<HeaderValue>& fields) {
    HttpRequest request;
    auto head = post_head(url);
    head.set(http::field::content_type, content_type);
    for (const auto& [name, value] : fields) head.set(name, value);
    request.own_body = std::move(body);
    finish_head(request, head);
    return request;
}

Result<HttpRequest> HttpRequest::build(const HttpUrl& url, HttpFormat format,
                                       const Delivery& delivery) {
    HttpRequest request;
    auto head = post_head(url);
    if (format == HttpFormat::json) {
        request.own_body = json_of(delivery);
        head.set(http::field::content_type, "application/json");
    } else {
        if (!fits_header_value(delivery.envelope.sender)) {
            return Error{"the sender cannot be sent in an HTTP header field"};
        }
        head.set(http::field::content_type, "message/rfc822");
        head.set("X-Herald-Mail-From", delivery.envelope.sender);
        for (const auto& recipient : delivery.recipients) {
            if (!fits_header_value(recipient)) {
                return Error{"a recipient cannot be sent in an HTTP header field"};
            }
            head.insert("X-Herald-Rcpt-To", recipient);
        }
        head.set("X-Herald-Message-Id", delivery.message_id);
        request.message = delivery.data;
    }
    finish_head(request, head);
    return request;
}

}  // namespace herald::delivery
