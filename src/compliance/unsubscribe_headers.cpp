#include "compliance/unsubscribe_headers.hpp"

#include <algorithm>

#include "base/ascii_case.hpp"
#include "base/trimmed.hpp"
#include "message/list_id.hpp"

namespace herald::compliance {

namespace {

constexpr std::string_view kOneClick = "List-Unsubscribe=One-Click";

std::string domain_of(std::string_view address) {
    const auto at = address.rfind('@');
    return at == std::string_view::npos ? std::string() : ascii_lowercase(address.substr(at + 1));
}

}  // namespace

std::string one_click_problem(const message::HeaderBlock& headers) {
    const std::size_t count = headers.count("List-Unsubscribe");
    if (count == 0) return "no List-Unsubscribe header";
    if (count > 1) return "List-Unsubscribe appears more than once";
    const std::string& value = headers.find("List-Unsubscribe")->value;
    if (value.find("<https://") == std::string::npos) {
        return "List-Unsubscribe has no <https://...> URI";
    }
    const auto* post = headers.find("List-Unsubscribe-Post");
    if (!post) return "List-Unsubscribe-Post is missing";
    if (trimmed(post->value) != kOneClick) {
        return "List-Unsubscribe-Post is not \"" + std::string(kOneClick) + "\"";
    }
    return {};
}

bool unsubscribe_covers(const std::vector<std::string>& senders, std::string_view sender_domain) {
    return std::any_of(senders.begin(), senders.end(), [sender_domain](const std::string& s) {
        return s == "*" || s == sender_domain;
    });
}

UnsubscribeDecision UnsubscribeHeaders::decide(const message::Envelope& envelope,
                                               const message::HeaderBlock& headers,
                                               UnsubscribeLinks::Clock::time_point now) const {
    const std::string domain = domain_of(envelope.sender);
    if (domain.empty() || !unsubscribe_covers(senders_, domain)) return {};
    if (headers.has("List-Unsubscribe")) {
        const std::string problem = one_click_problem(headers);
        if (problem.empty()) return {};
        return {.note =
                    "unsubscribe: the message's own headers stand, but are not one-click "
                    "(RFC 8058): " +
                    problem};
    }
    if (envelope.recipients.size() != 1) {
        return {.note = "unsubscribe: no List-Unsubscribe added: " +
                        std::to_string(envelope.recipients.size()) +
                        " recipients share the message, and a link names one"};
    }
    const std::string url =
        links_.url(domain, message::list_id_of(headers), envelope.recipients.front(), now);
    // RFC 2369 3.2: the https URI first (the one-click one, RFC 8058 3.1), then the mailto
    // for clients that only write mail; its subject carries the URL's token.
    std::string value = "<" + url + ">";
    if (!mailto_.empty()) {
        value += ",\r\n <mailto:" + mailto_ + "?subject=" + url.substr(url.rfind('/') + 1) + ">";
    }
    return {.fields = "List-Unsubscribe: " + value +
                      "\r\nList-Unsubscribe-Post: " + std::string(kOneClick) + "\r\n"};
}

}  // namespace herald::compliance
