#pragma once
// The rejectlog: every refused command, one line each:
//   <ts> H=<helo> [<ip>] "<command, AUTH arguments elided>" rejected: "<reply>"
// The command is the client's own text, so it is always quoted and escaped (log_value.hpp):
// a client cannot forge a line, nor make its command look like a field.
#include <filesystem>
#include <memory>
#include <string_view>

#include "base/result.hpp"
#include "log/log_file.hpp"

namespace herald::log {

class RejectLog {
  public:
    static Result<std::unique_ptr<RejectLog>> open(const std::filesystem::path& path);
    explicit RejectLog(std::unique_ptr<LogFile> file) : file_(std::move(file)) {}

    void write(std::string_view client_ip, std::string_view command, std::string_view reply,
               std::string_view helo = {});

    Status reopen() { return file_->reopen(); }
    const LogFile& file() const { return *file_; }

  private:
    std::unique_ptr<LogFile> file_;
};

}  // namespace herald::log
