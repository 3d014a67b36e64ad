#include "log/panic_log.hpp"

#include "base/timestamp.hpp"
#include "log/log_value.hpp"

namespace herald::log {

Result<std::unique_ptr<PanicLog>> PanicLog::open(const std::filesystem::path& path) {
    return open_log<PanicLog>(path);
}

void PanicLog::write(std::string_view context, std::string_view what) {
    file_->append(iso8601_now() + " " + format_text(context) + ": " + format_text(what));
}

}  // namespace herald::log
