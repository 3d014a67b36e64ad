#include "admin/admin_token.hpp"

#include "spool/secret_file.hpp"

namespace herald::admin {

Result<std::string> load_or_create_admin_token(const std::filesystem::path& spool_dir) {
    return spool::load_or_create_secret(spool_dir, kAdminTokenFile);
}

}  // namespace herald::admin
