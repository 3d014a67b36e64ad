#include "state/password_file.hpp"

#include <fstream>

#include "base/private_file.hpp"

namespace herald::state {

Result<std::string> read_password_file(const std::filesystem::path& path) {
    if (auto exposed = exposed_private_file(path)) {
        return Error{"password_file " + path.string() + ": " + *exposed};
    }
    std::ifstream in(path);
    std::string password;
    if (!in || !std::getline(in, password)) {
        return Error{"password_file " + path.string() + ": cannot read it"};
    }
    if (!password.empty() && password.back() == '\r') password.pop_back();
    if (password.empty()) return Error{"password_file " + path.string() + ": it is empty"};
    return password;
}

}  // namespace herald::state
