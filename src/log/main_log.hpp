#pragma once
// The mainlog: one line per event in a message's life, exim-like, for people and for
// `herald summary` / `herald trace` (log_line.hpp reads it back):
//   <ts> <id> <= <sender|<>> H=<helo> [<ip>] P=<protocol> S=<size> A=<user> R=<n> T="<subject>"
//   <ts> <id> => <rcpt> T=<transport> H=<host> C="<remote reply>"
//   <ts> <id> == <rcpt> T=<transport> H=<host> defer="<reason>" next=<ts>
//   <ts> <id> ** <rcpt> T=<transport> H=<host> "<reason>" category=<bounce category>
//   <ts> <id> ** <rcpt> T=suppression "<reason>"
//   <ts> <id> Completed
//   <ts> <id> <event text>
//   <ts> - <note about no message: start, stop, warnings>
// Fields whose value is empty are left out. Values are written by log_value.hpp.
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "base/result.hpp"
#include "log/log_file.hpp"
#include "message/envelope.hpp"

namespace herald::log {

// What the event of a line carries beside what the line says (docs/events.md): views into
// the caller's data, valid during the call only.
struct MessageContext {
    const message::Envelope* envelope = nullptr;
    std::string_view message_id;  // the Message-ID: field, "" when unknown
    unsigned attempt = 0;         // delivery lines: 1 for the first attempt
    std::string_view category;    // failed and deferred lines: the bounce category
    std::string_view cause;       // failed and deferred lines: the sender's problem named
    std::string_view tls;         // delivery lines: the connection's TLS (X=)
    std::string_view tls_policy;  // delivery lines: the destination's TLS policy (P=)
};

// What a line said, for an observer (the admin metrics) that counts events without parsing
// the text back. Views into the caller's strings: valid during the call only.
struct MainLogEvent {
    enum class Kind {
        arrival,
        delivered,
        deferred,
        failed,
        suppressed,
        completed,
        admin,
        event,
        note
    };
    Kind kind = Kind::note;
    std::string_view id;
    std::string_view recipient;  // delivered, deferred, failed
    std::string_view transport;  // delivered, deferred, failed ("" when none was tried)
    std::string_view host;       // delivered, deferred, failed
    std::string_view text;       // the reply, the reason, the event or the note
    std::string_view action;     // admin: hold, release, delete
    const message::Envelope* envelope = nullptr;  // arrival; when known, delivery and admin
    MessageContext context;                       // delivery lines
};
using MainLogObserver = std::function<void(const MainLogEvent&)>;

class MainLog {
  public:
    static Result<std::unique_ptr<MainLog>> open(const std::filesystem::path& path);
    explicit MainLog(std::unique_ptr<LogFile> file) : file_(std::move(file)) {}

    void arrival(std::string_view id, const message::Envelope& envelope, std::size_t size,
                 std::string_view subject, std::string_view message_id = "");
    void delivered(std::string_view id, std::string_view recipient, std::string_view transport,
                   std::string_view host, std::string_view reply,
                   const MessageContext& context = {});
    void deferred(std::string_view id, std::string_view recipient, std::string_view transport,
                  std::string_view host, std::string_view reason,
                  std::optional<std::chrono::system_clock::time_point> next = std::nullopt,
                  const MessageContext& context = {});
    void failed(std::string_view id, std::string_view recipient, std::string_view transport,
                std::string_view host, std::string_view reason, const MessageContext& context = {});
    // A recipient dropped because it is on a suppression list: a "**" line with
    // T=suppression, its `reason` the list entry's; no bounce follows.
    void suppressed(std::string_view id, std::string_view recipient, std::string_view reason,
                    const MessageContext& context = {});
    void completed(std::string_view id);
    // An administrator's action on a message ("hold", "release", "delete"); `text` is the line.
    void admin(std::string_view id, std::string_view action, std::string_view text,
               const message::Envelope* envelope);
    void event(std::string_view id, std::string_view text);
    // "<id> <what> <detail>": `what` ("explain <a@b>") as it is, so that readers find it;
    // `detail`, free text that may hold quotes, quoted when it must be.
    void event(std::string_view id, std::string_view what, std::string_view detail);
    void note(std::string_view text);

    Status reopen() { return file_->reopen(); }
    const LogFile& file() const { return *file_; }
    LogFile& file() { return *file_; }

    // Called after each line is written, on the writer's thread (the event loop or the
    // blocking pool): the observer must be thread-safe. Set it before the log is shared.
    void set_observer(MainLogObserver observer) { observer_ = std::move(observer); }

  private:
    void notify(const MainLogEvent& event) const {
        if (observer_) observer_(event);
    }
    // "=>", "==" or "**" per `kind`; `text` is what the observer hears as the event's text.
    void delivery_line(MainLogEvent::Kind kind, std::string_view id, std::string_view recipient,
                       std::string_view transport, std::string_view host, std::string_view text,
                       std::string tail, const MessageContext& context);

    std::unique_ptr<LogFile> file_;
    MainLogObserver observer_;
};

}  // namespace herald::log
