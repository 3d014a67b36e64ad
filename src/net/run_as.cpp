#include "net/run_as.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/core.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace herald::net {

namespace {

std::string last_error() {
    return std::strerror(errno);
}

Result<RunAs> look_up(const std::string& user, const std::string& group) {
    const passwd* account = ::getpwnam(user.c_str());
    if (account == nullptr) return Error{"[server] user: no user '" + user + "' on this system"};
    RunAs run_as{.user = user, .uid = account->pw_uid, .gid = account->pw_gid};
    if (!group.empty()) {
        const struct group* found = ::getgrnam(group.c_str());
        if (found == nullptr)
            return Error{"[server] group: no group '" + group + "' on this system"};
        run_as.gid = found->gr_gid;
    }
    return run_as;
}

// Hands a tree that someone else owns to the user: an earlier start as root left root's files.
Status hand_over_tree(const std::filesystem::path& dir, const RunAs& run_as) {
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        if (::lchown(it->path().c_str(), run_as.uid, run_as.gid) != 0) {
            return Error{fmt::format("chown {}: {}", it->path().string(), last_error())};
        }
    }
    if (ec) return Error{fmt::format("{}: {}", dir.string(), ec.message())};
    return ok_status();
}

// mode: what the directory allows; the spool lets others through (0711) to reach the sendmail
// socket, never list it.
Result<std::string> prepare_directory(const std::filesystem::path& dir, mode_t mode,
                                      const RunAs& run_as) {
    std::error_code ec;
    const bool created = std::filesystem::create_directories(dir, ec);
    if (ec) return Error{fmt::format("{}: {}", dir.string(), ec.message())};
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) {
        return Error{fmt::format("{}: {}", dir.string(), last_error())};
    }
    std::string done;
    if (!created && st.st_uid != run_as.uid) {
        if (auto handed = hand_over_tree(dir, run_as); !handed) return Error{handed.error()};
        done =
            fmt::format("{} belonged to uid {}: given to {}", dir.string(), st.st_uid, run_as.user);
    }
    // A directory that was already the user's keeps its group: an administrator may have
    // given the logs to adm.
    const gid_t group = st.st_uid == run_as.uid ? st.st_gid : run_as.gid;
    if (::chown(dir.c_str(), run_as.uid, group) != 0 || ::chmod(dir.c_str(), mode) != 0) {
        return Error{fmt::format("{}: {}", dir.string(), last_error())};
    }
    return done;
}

}  // namespace

Result<std::optional<RunAs>> decide_run_as(const config::Server& server, bool allow_root) {
    const uid_t euid = ::geteuid();
    if (server.user.empty()) {
        if (euid != 0 || allow_root) return std::optional<RunAs>{};
        return Error{
            "refusing to serve as root: set [server] user (e.g. \"herald\"), the user Herald "
            "becomes once its listeners are bound, or pass --allow-root"};
    }
    auto wanted = look_up(server.user, server.group);
    if (!wanted) return Error{wanted.error()};
    if (euid != 0) {
        // Started unprivileged (systemd's User=): the config must agree with who we are.
        if (wanted->uid != euid || wanted->gid != ::getegid()) {
            return Error{fmt::format(
                "[server] user/group is {}:{} but herald runs as uid {} gid {}, which cannot "
                "change user; start it as root or as that user",
                wanted->uid, wanted->gid, euid, ::getegid())};
        }
        return std::optional<RunAs>{};
    }
    if (wanted->uid == 0) {
        if (allow_root) return std::optional<RunAs>{};
        return Error{"[server] user is root: refusing to serve as root without --allow-root"};
    }
    return std::optional<RunAs>{*wanted};
}

Result<std::vector<std::string>> prepare_directories(const RunAs& run_as,
                                                     const std::filesystem::path& spool_dir,
                                                     const std::filesystem::path& log_dir) {
    std::vector<std::string> report;
    for (auto [dir, mode] :
         {std::pair{spool_dir, mode_t{0711}}, std::pair{log_dir, mode_t{0750}}}) {
        auto prepared = prepare_directory(dir, mode, run_as);
        if (!prepared) return Error{prepared.error()};
        if (!prepared->empty()) report.push_back(*prepared);
    }
    return report;
}

Status act_as(const RunAs& run_as) {
    if (::initgroups(run_as.user.c_str(), run_as.gid) != 0 || ::setegid(run_as.gid) != 0 ||
        ::seteuid(run_as.uid) != 0) {
        return Error{fmt::format("acting as {}: {}", run_as.user, last_error())};
    }
    return ok_status();
}

Status act_as_root() {
    if (::seteuid(0) != 0) return Error{"back to root to bind the listeners: " + last_error()};
    return ok_status();
}

Status drop_for_good(const RunAs& run_as) {
    if (::geteuid() != 0 && ::seteuid(0) != 0) return Error{"dropping privileges: " + last_error()};
    if (::initgroups(run_as.user.c_str(), run_as.gid) != 0 || ::setgid(run_as.gid) != 0 ||
        ::setuid(run_as.uid) != 0) {
        return Error{fmt::format("becoming {}: {}", run_as.user, last_error())};
    }
    uid_t ruid, euid, suid;
    gid_t rgid, egid, sgid;
    ::getresuid(&ruid, &euid, &suid);
    ::getresgid(&rgid, &egid, &sgid);
    const bool all_user = ruid == run_as.uid && euid == run_as.uid && suid == run_as.uid;
    const bool all_group = rgid == run_as.gid && egid == run_as.gid && sgid == run_as.gid;
    // The proof: root is out of reach.
    if (!all_user || !all_group || ::setuid(0) == 0 || ::seteuid(0) == 0) {
        return Error{"dropping privileges to " + run_as.user + " did not take"};
    }
    return ok_status();
}

}  // namespace herald::net
