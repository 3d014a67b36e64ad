#pragma once
// The rejectlog: every refused command, one line each:
//   <ts> H=<helo> [<ip>] "<command, AUTH arguments elided>" rejected: "<reply>"
// The command is the client's own text, so it is always quoted and escaped (log_value.hpp):
// a client cannot forge a line, nor make its command look like a field.
#include <filesystem>
#include <functional>
#include <memory>
#include <string_view>

#include "base/result.hpp"
#include "log/log_file.hpp"

namespace herald::log {

// One refused command, for an observer (the admin metrics). Views valid during the call only.
struct RejectLogEvent {
    std::string_view client_ip;
    std::string_view command;
    std::string_view reply;  // "550 5.7.1 text", as Reply::summary() gives it
    std::string_view helo;
};
using RejectLogObserver = std::function<void(const RejectLogEvent&)>;

class RejectLog {
  public:
    static Result<std::unique_ptr<RejectLog>> open(const std::filesystem::path& path);
    explicit RejectLog(std::unique_ptr<LogFile> file) : file_(std::move(file)) {}

    void write(std::string_view client_ip, std::string_view command, std::string_view reply,
               std::string_view helo = {});

    Status reopen() { return file_->reopen(); }
    const LogFile& file() const { return *file_; }
    LogFile& file() { return *file_; }

    // Called after each line is written, on the writer's thread; set it before the log is
    // shared.
    void set_observer(RejectLogObserver observer) { observer_ = std::move(observer); }

  private:
    std::unique_ptr<LogFile> file_;
    RejectLogObserver observer_;
};

}  // namespace herald::log
