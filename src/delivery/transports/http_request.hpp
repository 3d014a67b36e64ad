#pragma once
// What the http transport POSTs for one delivery, as bytes: the request head and the body.
//
// format "rfc822": the message as spooled (Content-Type: message/rfc822), the envelope in
// header fields: X-Herald-Mail-From (empty for the null sender), one X-Herald-Rcpt-To per
// recipient, X-Herald-Message-Id (the queue id).
// format "json": Content-Type: application/json, the object
//   {"mail_from": "...", "rcpt_to": ["...", ...], "message_id": "...", "message": "..."}
// with "message_base64" (RFC 4648 4, no line breaks) instead of "message" when the message is
// not valid UTF-8, so that every message arrives byte for byte.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.hpp"
#include "delivery/transport.hpp"
#include "delivery/transports/http_url.hpp"

namespace herald::delivery {

enum class HttpFormat { rfc822, json };

struct HttpRequest {
    std::string head;          // request line and header fields, through the empty line
    std::string own_body;      // the body made for the request; empty in rfc822 format
    std::string_view message;  // the delivery's data, the body in rfc822 format

    std::string_view body() const {
        return own_body.empty() ? message : std::string_view(own_body);
    }

    // Fails for an envelope address that cannot be a header field value (a line break in it
    // would let it add header fields of its own).
    static Result<HttpRequest> build(const HttpUrl& url, HttpFormat format,
                                     const Delivery& delivery);
    // A POST of `json` with extra header fields (names and values the caller made safe).
    using HeaderValue = std::pair<std::string, std::string>;
    static HttpRequest json_post(const HttpUrl& url, std::string json,
                                 const std::vector<HeaderValue>& fields);
    // A POST of any body.
    static HttpRequest post(const HttpUrl& url, std::string_view content_type, std::string body,
                            const std::vector<HeaderValue>& fields = {});
};

}  // namespace herald::delivery
