#include "cli/spool_owner.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include "accept/local_submission.hpp"
#include "net/run_as.hpp"

namespace herald::cli {

std::optional<std::string> become_spool_owner(const std::filesystem::path& spool_dir) {
    struct stat st {};
    if (::geteuid() != 0 || ::stat(spool_dir.c_str(), &st) != 0 || st.st_uid == 0) {
        return std::nullopt;
    }
    const std::string owner = accept::local_user_name(st.st_uid);
    auto dropped =
        net::drop_for_good(net::RunAs{.user = owner, .uid = st.st_uid, .gid = st.st_gid});
    if (!dropped) return dropped.error();
    return std::nullopt;
}

}  // namespace herald::cli
