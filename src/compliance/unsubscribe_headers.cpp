#include "compliance/unsubscribe_headers.hpp"

#include <algorithm>

#include "base/ascii_case.hpp"
#include "base/trimmed.hpp"

namespace herald::compliance {

namespace {

constexpr std::string_view kOneClick = "List-Unsubscribe=One-Click";

std::string domain_of(std::string_view address) {
    const auto at = address.rfind('@');
    return at == std::string_view::npos ? std::string() : ascii_lowercase(address.substr(at + 1));
}

}  // namespace

std::string list_id_of(const message::HeaderBlock& headers) {
    const auto* field = headers.find("List-Id");
    if (!field) return {};
    const std::string& value = field->value;
    const auto open = value.rfind('<');
    const auto close = value.rfind('>');
    if (open != std::string::npos && close != std::string::npos && open < close) {
        return value.substr(open + 1, close - open - 1);
    }
    return std::string(trimmed(value));
}

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

bool UnsubscribeHeaders::covers(std::string_view sender_domain) const {
    return std::any_of(senders_.begin(), senders_.end(), [sender_domain](const std::string& s) {
        return s == "*" || s == sender_domain;
    });
}

UnsubscribeDecision UnsubscribeHeaders::decide(const message::Envelope& envelope,
                                               const message::HeaderBlock& headers,
                                               UnsubscribeLinks::Clock::time_point now) const {
    const std::string domain = domain_of(envelope.sender);
    if (domain.empty() || !covers(domain)) return {};
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
        links_.url(domain, list_id_of(headers), envelope.recipients.front(), now);
    return {.fields = "List-Unsubscribe: <" + url +
                      ">\r\nList-Unsubscribe-Post: " + std::string(kOneClick) + "\r\n"};
}

}  // namespace herald::compliance
