#include "log/reject_log.hpp"

#include "base/timestamp.hpp"
#include "log/log_value.hpp"

namespace herald::log {

Result<std::unique_ptr<RejectLog>> RejectLog::open(const std::filesystem::path& path) {
    return open_log<RejectLog>(path);
}

void RejectLog::write(std::string_view client_ip, std::string_view command, std::string_view reply,
                      std::string_view helo) {
    std::string line = iso8601_now();
    if (!helo.empty()) line += " H=" + format_value(helo);
    if (!client_ip.empty()) line += " [" + format_value(client_ip) + "]";
    line += " " + format_quoted(command) + " rejected: " + format_quoted(reply);
    file_->append(line);
    if (observer_) observer_({client_ip, command, reply, helo});
}

}  // namespace herald::log
