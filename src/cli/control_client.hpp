#pragma once
// The CLI side of the control socket (net/control_server.hpp).
#include <filesystem>
#include <optional>
#include <string>

namespace herald::cli {

// The server's reply line, or nullopt when no server is listening there.
std::optional<std::string> send_control_request(const std::filesystem::path& socket_path,
                                                const std::string& request);

}  // namespace herald::cli
