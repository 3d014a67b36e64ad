#include "compliance/unsubscribe_endpoint.hpp"

#include "base/trimmed.hpp"
#include "message/header_block.hpp"

namespace herald::compliance {

namespace {

std::string html_escaped(std::string_view text) {
    std::string out;
    for (const char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

admin::HttpResponse page(unsigned status, std::string_view title, const std::string& body) {
    admin::HttpResponse response{
        .status = status,
        .content_type = "text/html; charset=utf-8",
        .body =
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width\">"
            "<meta name=\"robots\" content=\"noindex\"><title>" +
            std::string(title) +
            "</title></head>\n<body style=\"font-family:sans-serif;max-width:36em;"
            "margin:3em auto\">\n<h1>" +
            std::string(title) + "</h1>\n" + body + "\n</body></html>\n"};
    response.headers.emplace_back("Cache-Control", "no-store");
    response.headers.emplace_back("Referrer-Policy", "no-referrer");
    return response;
}

std::string_view token_of(std::string_view target) {
    target = target.substr(0, target.find('?'));
    const auto slash = target.rfind('/');
    return slash == std::string_view::npos ? target : target.substr(slash + 1);
}

}  // namespace

admin::HttpResponse UnsubscribeEndpoint::answer(const admin::HttpRequest& request) {
    if (request.method != "GET" && request.method != "POST") {
        auto response = page(405, "Not allowed", "<p>Use the link or the button.</p>");
        response.headers.emplace_back("Allow", "GET, POST");
        return response;
    }
    const auto verdict = links_.verify(token_of(request.target), UnsubscribeLinks::Clock::now());
    if (!verdict.claim) return refused(verdict.refusal, request.client_ip);
    if (request.method == "POST") return unsubscribe(*verdict.claim, request.client_ip);
    ++counts_[static_cast<std::size_t>(Outcome::page)];
    const UnsubscribeClaim& claim = *verdict.claim;
    const std::string from =
        html_escaped(claim.domain) +
        (claim.list.empty() ? std::string() : " (" + html_escaped(claim.list) + ")");
    // The form posts what a mail client's one-click POST carries (RFC 8058 3.2).
    return page(200, "Unsubscribe",
                "<p>Stop mail from " + from + " to <b>" + html_escaped(claim.recipient) +
                    "</b>?</p>\n<form method=\"post\"><input type=\"hidden\" "
                    "name=\"List-Unsubscribe\" value=\"One-Click\"><button "
                    "type=\"submit\">Unsubscribe</button></form>");
}

UnsubscribeEndpoint::Outcome UnsubscribeEndpoint::refusal_outcome(UnsubscribeLinks::Refusal refusal,
                                                                  std::string_view how,
                                                                  std::string_view client) {
    const Outcome outcome = refusal == UnsubscribeLinks::Refusal::forged    ? Outcome::forged
                            : refusal == UnsubscribeLinks::Refusal::expired ? Outcome::expired
                                                                            : Outcome::malformed;
    ++counts_[static_cast<std::size_t>(outcome)];
    note_("unsubscribe: refused a " +
          std::string(kOutcomeNames[static_cast<std::size_t>(outcome)]) + " " + std::string(how) +
          " from " + std::string(client));
    return outcome;
}

void UnsubscribeEndpoint::record(const UnsubscribeClaim& claim, std::string_view how,
                                 std::string_view client) {
    ++counts_[static_cast<std::size_t>(Outcome::unsubscribed)];
    auto event = events::Event::now(events::EventType::unsubscribed);
    event.recipient = claim.recipient;
    event.domain = claim.domain;
    event.list = claim.list;
    event.reason = std::string(how) + " from " + std::string(client);
    hub_.emit(event);
    note_("unsubscribe: <" + claim.recipient + "> from " + claim.domain +
          (claim.list.empty() ? "" : " list " + claim.list) + " by " + std::string(how) + " from " +
          std::string(client));
}

void UnsubscribeEndpoint::take_mail(std::string_view message, std::string_view client) {
    const auto headers = message::HeaderBlock::parse(message);
    const auto* subject = headers.find("Subject");
    // A reply may prefix the subject ("Re: <token>"): the token is its last word.
    std::string_view token = subject ? trimmed(subject->value) : std::string_view();
    if (const auto space = token.find_last_of(" \t"); space != std::string_view::npos) {
        token.remove_prefix(space + 1);
    }
    const auto verdict = links_.verify(token, UnsubscribeLinks::Clock::now());
    if (!verdict.claim) {
        refusal_outcome(verdict.refusal, "mailto unsubscribe", client);
        return;
    }
    record(*verdict.claim, "mailto unsubscribe", client);
}

admin::HttpResponse UnsubscribeEndpoint::refused(UnsubscribeLinks::Refusal refusal,
                                                 const std::string& client) {
    const Outcome outcome = refusal_outcome(refusal, "link", "[" + client + "]");
    return page(403, "This link does not work",
                outcome == Outcome::expired
                    ? "<p>The link has expired. Use the link of a newer message.</p>"
                    : "<p>The link is not valid.</p>");
}

admin::HttpResponse UnsubscribeEndpoint::unsubscribe(const UnsubscribeClaim& claim,
                                                     const std::string& client) {
    record(claim, "one-click unsubscribe", "[" + client + "]");
    return page(200, "Unsubscribed",
                "<p><b>" + html_escaped(claim.recipient) + "</b> will get no more mail from " +
                    html_escaped(claim.domain) + ".</p>");
}

}  // namespace herald::compliance
