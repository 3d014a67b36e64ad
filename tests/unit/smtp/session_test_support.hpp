#pragma once
// A ServerSession driven as net/ drives it, with a fake policy and every event answered at
// once, so that a test reads as a transcript.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "smtp/server_session.hpp"

namespace herald::smtp::testing {

// Refuses relaying to "*@elsewhere.example" and the sender "spammer@bad.example".
class FakePolicy : public SessionPolicy {
  public:
    std::optional<Reply> check_sender(const SessionView& session,
                                      std::string_view sender) override {
        senders.emplace_back(sender);
        seen_auth_user = std::string(session.auth_user);
        if (sender == "spammer@bad.example") return Reply(553, "5.7.1", "Sender refused");
        return std::nullopt;
    }
    std::optional<Reply> check_recipient(const SessionView& session,
                                         std::string_view recipient) override {
        recipients.emplace_back(recipient);
        seen_sender = std::string(session.sender);
        asking = recipient.ends_with("@shared.example");
        if (recipient.ends_with("@elsewhere.example")) {
            return Reply(554, "5.7.1", "Relay access denied");
        }
        return std::nullopt;
    }
    // "team@x.example" stands for two mailboxes, as an alias does.
    std::vector<std::string> delivery_addresses(std::string_view recipient) override {
        if (recipient == "team@x.example") return {"ann@x.example", "ben@x.example"};
        return {std::string(recipient)};
    }

    // "*@shared.example": a count the policy must ask elsewhere about (PolicyQuery).
    bool query_pending() const override { return asking; }

    bool asking = false;
    std::vector<std::string> senders;
    std::vector<std::string> recipients;
    std::string seen_auth_user;
    std::string seen_sender;
};

inline SessionSettings test_settings() {
    SessionSettings s;
    s.hostname = "mx.herald.test";
    s.max_message_size = 10000;
    s.max_recipients = 5;
    s.max_errors = 10;
    s.max_received_headers = 3;
    return s;
}

// A MessageReady with the text its MessageData events gave, as net/ puts it together.
struct ReceivedMessage {
    message::Envelope envelope;
    std::string data;
    std::uint64_t size = 0;
    std::uint64_t header_size = 0;
};

class Conversation {
  public:
    explicit Conversation(SessionSettings settings = test_settings(),
                          ClientInfo client = {"192.0.2.7", "client.example"})
        : session(std::move(settings), std::move(client), policy) {
        session.start();
        greeting = drain();
        transcript.clear();
    }

    // Feeds bytes and returns what the session answered, events handled in between.
    std::string send(std::string_view bytes) {
        session.receive(bytes);
        return drain();
    }

    std::string drain() {
        std::string out;
        while (true) {
            for (auto& r : session.take_rejections()) rejections.push_back(std::move(r));
            out += session.take_output();
            auto event = session.take_event();
            if (!event) break;
            handle(*event);
        }
        transcript += out;
        return out;
    }

    FakePolicy policy;
    ServerSession session;
    std::string greeting;
    std::string transcript;
    std::vector<ReceivedMessage> messages;
    std::string text;   // MessageData since the last DATA
    int discarded = 0;  // DiscardMessage events
    std::size_t largest_piece = 0;
    std::vector<AuthRequest> auth_requests;
    std::vector<Rejection> rejections;
    int tls_handshakes = 0;
    bool close_requested = false;
    bool hold_messages = false;  // leave MessageReady unanswered
    bool hold_tls = false;       // leave StartTls unanswered
    bool hold_queries = false;   // leave PolicyQuery unanswered
    int policy_queries = 0;
    std::string password = "secret";
    bool throttle_auth = false;  // answer AUTH as a lockout does: 454, no password checked

    // As a shared count answers: "full@shared.example" is over the limit.
    void answer_query() {
        policy.asking = false;
        if (policy.recipients.back().starts_with("full@")) {
            session.policy_answer(Reply(451, "4.7.1", "Rate limit reached"));
        } else {
            session.policy_answer(std::nullopt);
        }
    }

  private:
    void handle(SessionEvent& event) {
        if (std::holds_alternative<StartTls>(event)) {
            ++tls_handshakes;
            if (!hold_tls) session.tls_started();
        } else if (std::holds_alternative<CloseConnection>(event)) {
            close_requested = true;
        } else if (auto* auth = std::get_if<AuthRequest>(&event)) {
            auth_requests.push_back(*auth);
            if (throttle_auth) {
                session.auth_refused(Reply(454, "4.7.0", "Temporary authentication failure"));
                return;
            }
            session.auth_result(auth->user == "alice" && auth->password == password);
        } else if (std::holds_alternative<PolicyQuery>(event)) {
            ++policy_queries;
            if (!hold_queries) answer_query();
        } else if (auto* piece = std::get_if<MessageData>(&event)) {
            largest_piece = std::max(largest_piece, piece->text.size());
            text += piece->text;
        } else if (std::holds_alternative<DiscardMessage>(event)) {
            ++discarded;
            text.clear();
        } else if (auto* ready = std::get_if<MessageReady>(&event)) {
            messages.push_back({std::move(ready->envelope), std::exchange(text, std::string()),
                                ready->size, ready->header_size});
            if (!hold_messages) session.message_accepted("Q" + std::to_string(messages.size()));
        }
    }
};

}  // namespace herald::smtp::testing
