#include "base/state_file.hpp"

#include <fstream>
#include <sstream>
#include <system_error>

namespace herald {

Status replace_file(const std::filesystem::path& path, std::string_view text) {
    const std::filesystem::path temporary = path.string() + ".new";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out.flush()) return Error{"cannot write " + temporary.string()};
    }
    std::error_code ec;
    std::filesystem::rename(temporary, path, ec);
    if (ec) return Error{"cannot replace " + path.string() + ": " + ec.message()};
    return ok_status();
}

std::optional<std::string> read_state_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace herald
