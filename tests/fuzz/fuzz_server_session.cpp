// The SMTP server's protocol engine with arbitrary client bytes, cut into arbitrary pieces:
// commands, pipelining, AUTH, DATA with dot-stuffing, bare line endings. Every reply Herald
// sends must be a well-formed reply line.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "smtp/server_session.hpp"

namespace {

using namespace herald::smtp;

class AcceptEverything final : public SessionPolicy {
  public:
    std::optional<Reply> check_sender(const SessionView&, std::string_view) override {
        return std::nullopt;
    }
    std::optional<Reply> check_recipient(const SessionView&, std::string_view recipient) override {
        if (recipient.size() % 7 == 0) return Reply(550, "5.7.1", "refused by the fuzz policy");
        return std::nullopt;
    }
};

// "250-..." / "250 ...": three digits, '-' or ' ', CRLF-terminated, no bare CR or LF inside.
void check_replies(std::string_view output) {
    while (!output.empty()) {
        const auto end = output.find("\r\n");
        FUZZ_CHECK(end != std::string_view::npos);
        const std::string_view line = output.substr(0, end);
        FUZZ_CHECK(line.size() >= 4);
        FUZZ_CHECK(line[0] >= '2' && line[0] <= '5');
        FUZZ_CHECK(line[1] >= '0' && line[1] <= '9' && line[2] >= '0' && line[2] <= '9');
        FUZZ_CHECK(line[3] == ' ' || line[3] == '-');
        FUZZ_CHECK(line.find_first_of("\r\n") == std::string_view::npos);
        output.remove_prefix(end + 2);
    }
}

void drain(ServerSession& session, bool accept) {
    check_replies(session.take_output());
    while (auto event = session.take_event()) {
        if (std::holds_alternative<StartTls>(*event)) session.tls_started();
        if (std::holds_alternative<AuthRequest>(*event)) session.auth_result(accept);
        if (std::holds_alternative<MessageReady>(*event)) {
            if (accept) {
                session.message_accepted("fuzz00000001");
            } else {
                session.message_rejected(Reply(452, "4.3.1", "no room"));
            }
        }
        check_replies(session.take_output());
    }
    session.take_rejections();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    // The first byte chooses the settings and the piece size, the rest is the client.
    const std::uint8_t knobs = data[0];
    SessionSettings settings;
    settings.hostname = "mx.fuzz.test";
    settings.max_message_size = 4096;
    settings.max_recipients = 5;
    settings.mode = static_cast<SessionMode>(knobs % 3);
    settings.tls_available = (knobs & 0x04) != 0;
    settings.auth_available = (knobs & 0x08) != 0;
    settings.allow_plaintext_auth = (knobs & 0x10) != 0;
    settings.normalize_bare_line_endings = (knobs & 0x20) != 0;
    settings.tls_active = settings.mode == SessionMode::submissions;
    const std::size_t piece = 1 + (knobs >> 6) * 37;
    AcceptEverything policy;
    ServerSession session(settings, ClientInfo{.ip = "192.0.2.1"}, policy);
    session.start();
    const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
    for (std::size_t at = 0; at < input.size() && !session.closed(); at += piece) {
        session.receive(input.substr(at, piece));
        drain(session, (at / piece) % 2 == 0);
    }
    if (!session.closed()) session.timed_out();
    drain(session, true);
    FUZZ_CHECK(session.closed());
    return 0;
}
