#pragma once
// [[event_sink]] type = "file": JSON lines in a log file beside the mainlog, rotated with it
// (log::shift_generations, then reopen), written as the mainlog is: one write per line on an
// O_APPEND descriptor.
#include <memory>
#include <string>

#include "events/event_sink.hpp"
#include "log/log_file.hpp"
#include "log/log_rotation.hpp"

namespace herald::events {

class FileSink final : public EventSink {
  public:
    FileSink(std::string name, std::unique_ptr<log::LogFile> file)
        : name_(std::move(name)), file_(std::move(file)) {}

    std::string_view name() const override { return name_; }
    void take(const Event&, std::string_view json) override { file_->append(json); }
    Status rotate(std::size_t keep) override {
        auto shifted = log::shift_generations(file_->path(), keep);
        return shifted ? file_->reopen() : shifted;
    }

  private:
    std::string name_;
    std::unique_ptr<log::LogFile> file_;
};

}  // namespace herald::events
