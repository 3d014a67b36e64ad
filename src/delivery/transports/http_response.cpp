#include "delivery/transports/http_response.hpp"

#include <boost/asio/buffer.hpp>

namespace herald::delivery {

namespace http = boost::beast::http;
using Outcome = RecipientResult::Outcome;

namespace {

// RFC 9110 15.2: any number of 1xx may precede the final response; a server sending them
// without end is not answering.
constexpr std::size_t kMaxInterimResponses = 10;
constexpr std::size_t kMaxReason = 100;

bool is_interim(unsigned status) {
    // 101 switches protocols: final, and not an answer to a POST.
    return status >= 100 && status < 200 && status != 101;
}

}  // namespace

Outcome HttpResponse::outcome() const {
    if (status >= 200 && status < 300) return Outcome::delivered;
    if (status == 408 || status == 429 || (status >= 500 && status < 600)) {
        return Outcome::deferred;
    }
    if (status >= 300 && status < 500) return Outcome::failed;
    return Outcome::deferred;
}

std::string HttpResponse::describe() const {
    std::string text = "HTTP " + std::to_string(status);
    const std::string why = printable_excerpt(reason, kMaxReason);
    if (!why.empty()) text += " " + why;
    const std::string excerpt = printable_excerpt(body, HttpResponseReader::kMaxExcerpt);
    if (!excerpt.empty()) text += ": " + excerpt;
    if (!complete) text += " (response cut short)";
    return text;
}

HttpResponseReader::HttpResponseReader() : parser_(fresh_parser()) {}

std::unique_ptr<HttpResponseReader::Parser> HttpResponseReader::fresh_parser() {
    auto parser = std::make_unique<Parser>();
    parser->header_limit(kMaxHeader);
    parser->body_limit(kMaxBody);
    parser->eager(true);
    return parser;
}

bool HttpResponseReader::receive(std::string_view bytes) {
    if (done_) return true;
    pending_.append(bytes);
    parse();
    return done_;
}

void HttpResponseReader::parse() {
    while (!done_ && !pending_.empty()) {
        boost::beast::error_code ec;
        const std::size_t used = parser_->put(boost::asio::buffer(pending_), ec);
        pending_.erase(0, used);
        if (ec == http::error::need_more) break;
        if (ec) {
            error_ = "bad HTTP response: " + ec.message();
            done_ = true;
        } else if (parser_->is_done()) {
            if (!is_interim(parser_->get().result_int())) {
                done_ = true;
            } else if (++interim_responses_ > kMaxInterimResponses) {
                error_ = "bad HTTP response: too many interim (1xx) responses";
                done_ = true;
            } else {
                parser_ = fresh_parser();
            }
        } else if (used == 0) {
            break;
        }
    }
}

void HttpResponseReader::end_of_stream(const std::string& why) {
    if (done_) return;
    done_ = true;
    if (!parser_->got_some() && interim_responses_ == 0) {
        error_ = why;
        return;
    }
    boost::beast::error_code ec;
    parser_->put_eof(ec);
    if (ec) error_ = why;
}

bool HttpResponseReader::has_final_header() const {
    return parser_->is_header_done() && !is_interim(parser_->get().result_int());
}

std::optional<HttpResponse> HttpResponseReader::response() const {
    if (!has_final_header()) return std::nullopt;
    const auto& message = parser_->get();
    return HttpResponse{message.result_int(), std::string(message.reason()), message.body(),
                        parser_->is_done()};
}

std::string printable_excerpt(std::string_view text, std::size_t max) {
    std::string out;
    for (char ch : text) {
        if (out.size() >= max) break;
        const bool printable = ch > ' ' && ch < 0x7f;
        if (printable) {
            out += ch;
        } else if (!out.empty() && out.back() != ' ') {
            out += ' ';
        }
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

}  // namespace herald::delivery
