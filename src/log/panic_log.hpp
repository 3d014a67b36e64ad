#pragma once
// The paniclog: internal errors, which a healthy server never writes:
//   <ts> <context>: <what>
#include <filesystem>
#include <memory>
#include <string_view>

#include "base/result.hpp"
#include "log/log_file.hpp"

namespace herald::log {

class PanicLog {
  public:
    static Result<std::unique_ptr<PanicLog>> open(const std::filesystem::path& path);
    explicit PanicLog(std::unique_ptr<LogFile> file) : file_(std::move(file)) {}

    void write(std::string_view context, std::string_view what);

    Status reopen() { return file_->reopen(); }
    const LogFile& file() const { return *file_; }
    LogFile& file() { return *file_; }

  private:
    std::unique_ptr<LogFile> file_;
};

}  // namespace herald::log
