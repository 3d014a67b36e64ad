#include "log/main_log.hpp"

#include "base/timestamp.hpp"
#include "log/log_value.hpp"

namespace herald::log {
namespace {

// " KEY=value", or nothing when the value is empty.
std::string field(std::string_view key, std::string_view value, bool quoted = false) {
    if (value.empty()) return {};
    return " " + std::string(key) + "=" + (quoted ? format_quoted(value) : format_value(value));
}

std::string start(std::string_view id) {
    return iso8601_now() + " " + format_value(id);
}

}  // namespace

Result<std::unique_ptr<MainLog>> MainLog::open(const std::filesystem::path& path) {
    return open_log<MainLog>(path);
}

void MainLog::arrival(std::string_view id, const message::Envelope& envelope, std::size_t size,
                      std::string_view subject, std::string_view message_id) {
    std::string line = start(id) + " <= " + format_address(envelope.sender);
    line += field("H", envelope.helo);
    if (!envelope.client_ip.empty()) line += " [" + format_value(envelope.client_ip) + "]";
    line += field("P", envelope.protocol);
    line += field("S", std::to_string(size));
    line += field("A", envelope.auth_user);
    line += field("R", std::to_string(envelope.recipients.size()));
    line += field("T", subject, true);
    file_->append(line);
    notify({.kind = MainLogEvent::Kind::arrival,
            .id = id,
            .envelope = &envelope,
            .context = {.envelope = &envelope, .message_id = message_id}});
}

void MainLog::delivery_line(MainLogEvent::Kind kind, std::string_view id,
                            std::string_view recipient, std::string_view transport,
                            std::string_view host, std::string_view text, std::string tail,
                            const MessageContext& context) {
    using Kind = MainLogEvent::Kind;
    // A suppressed recipient is done without delivery, as a failed one is.
    std::string_view mark = kind == Kind::delivered ? "=>" : kind == Kind::deferred ? "==" : "**";
    std::string line = start(id) + " " + std::string(mark) + " " + format_address(recipient);
    line += field("T", transport);
    line += field("H", host);
    line += field("X", context.tls);
    line += field("P", context.tls_policy);
    file_->append(line + tail);
    notify({.kind = kind,
            .id = id,
            .recipient = recipient,
            .transport = transport,
            .host = host,
            .text = text,
            .envelope = context.envelope,
            .context = context});
}

void MainLog::delivered(std::string_view id, std::string_view recipient, std::string_view transport,
                        std::string_view host, std::string_view reply,
                        const MessageContext& context) {
    delivery_line(MainLogEvent::Kind::delivered, id, recipient, transport, host, reply,
                  field("C", reply, true), context);
}

void MainLog::deferred(std::string_view id, std::string_view recipient, std::string_view transport,
                       std::string_view host, std::string_view reason,
                       std::optional<std::chrono::system_clock::time_point> next,
                       const MessageContext& context) {
    std::string tail = field("defer", reason, true);
    if (next) tail += field("next", iso8601_utc(*next));
    tail += field("cause", context.cause);
    delivery_line(MainLogEvent::Kind::deferred, id, recipient, transport, host, reason,
                  std::move(tail), context);
}

void MainLog::failed(std::string_view id, std::string_view recipient, std::string_view transport,
                     std::string_view host, std::string_view reason,
                     const MessageContext& context) {
    delivery_line(MainLogEvent::Kind::failed, id, recipient, transport, host, reason,
                  " " + format_quoted(reason) + field("category", context.category) +
                      field("cause", context.cause),
                  context);
}

void MainLog::suppressed(std::string_view id, std::string_view recipient, std::string_view reason,
                         const MessageContext& context) {
    delivery_line(MainLogEvent::Kind::suppressed, id, recipient, "suppression", "", reason,
                  " " + format_quoted(reason), context);
}

void MainLog::completed(std::string_view id) {
    file_->append(start(id) + " Completed");
    notify({.kind = MainLogEvent::Kind::completed, .id = id});
}

void MainLog::admin(std::string_view id, std::string_view action, std::string_view text,
                    const message::Envelope* envelope) {
    file_->append(start(id) + " " + format_text(text));
    notify({.kind = MainLogEvent::Kind::admin,
            .id = id,
            .text = text,
            .action = action,
            .envelope = envelope});
}

void MainLog::event(std::string_view id, std::string_view text) {
    file_->append(start(id) + " " + format_text(text));
    notify({.kind = MainLogEvent::Kind::event, .id = id, .text = text});
}

void MainLog::event(std::string_view id, std::string_view what, std::string_view detail) {
    file_->append(start(id) + " " + std::string(what) + " " + format_text(detail));
    notify({.kind = MainLogEvent::Kind::event, .id = id, .text = detail});
}

void MainLog::note(std::string_view text) {
    file_->append(iso8601_now() + " - " + format_text(text));
    notify({.kind = MainLogEvent::Kind::note, .text = text});
}

}  // namespace herald::log
