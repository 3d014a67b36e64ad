#pragma once
// The mainlog: one line per event in a message's life, exim-like, for people and for
// `herald summary` / `herald trace` (log_line.hpp reads it back):
//   <ts> <id> <= <sender|<>> H=<helo> [<ip>] P=<protocol> S=<size> A=<user> R=<n> T="<subject>"
//   <ts> <id> => <rcpt> T=<transport> H=<host> C="<remote reply>"
//   <ts> <id> == <rcpt> T=<transport> H=<host> defer="<reason>" next=<ts>
//   <ts> <id> ** <rcpt> T=<transport> H=<host> "<reason>"
//   <ts> <id> Completed
//   <ts> <id> <event text>
//   <ts> - <note about no message: start, stop, warnings>
// Fields whose value is empty are left out. Values are written by log_value.hpp.
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>

#include "base/result.hpp"
#include "log/log_file.hpp"
#include "message/envelope.hpp"

namespace herald::log {

class MainLog {
  public:
    static Result<std::unique_ptr<MainLog>> open(const std::filesystem::path& path);
    explicit MainLog(std::unique_ptr<LogFile> file) : file_(std::move(file)) {}

    void arrival(std::string_view id, const message::Envelope& envelope, std::size_t size,
                 std::string_view subject);
    void delivered(std::string_view id, std::string_view recipient, std::string_view transport,
                   std::string_view host, std::string_view reply);
    void deferred(std::string_view id, std::string_view recipient, std::string_view transport,
                  std::string_view host, std::string_view reason,
                  std::optional<std::chrono::system_clock::time_point> next = std::nullopt);
    void failed(std::string_view id, std::string_view recipient, std::string_view transport,
                std::string_view host, std::string_view reason);
    void completed(std::string_view id);
    void event(std::string_view id, std::string_view text);
    void note(std::string_view text);

    Status reopen() { return file_->reopen(); }
    const LogFile& file() const { return *file_; }

  private:
    void delivery_line(std::string_view id, std::string_view mark, std::string_view recipient,
                       std::string_view transport, std::string_view host, std::string tail);

    std::unique_ptr<LogFile> file_;
};

}  // namespace herald::log
