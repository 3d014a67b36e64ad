#include "cli/serve_command.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <string>

#include "cli/config_loading.hpp"
#include "net/server.hpp"

namespace herald::cli {

namespace {

// Without --foreground the server detaches, but only once it is ready: the child reports
// "ready" or its start-up error through a pipe, so `herald serve` fails loudly when it
// cannot start, as a service manager expects.
int serve_detached(config::Config config, const std::filesystem::path& path,
                   std::optional<net::RunAs> run_as) {
    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0) {
        fmt::print(stderr, "herald: pipe: {}\n", std::strerror(errno));
        return kExitFailure;
    }
    pid_t pid = ::fork();
    if (pid < 0) {
        fmt::print(stderr, "herald: fork: {}\n", std::strerror(errno));
        return kExitFailure;
    }
    if (pid > 0) {
        ::close(pipe_fds[1]);
        std::string report;
        char buf[512];
        ssize_t n;
        while ((n = ::read(pipe_fds[0], buf, sizeof buf)) > 0) report.append(buf, n);
        ::close(pipe_fds[0]);
        bool ready = report.starts_with("ready\n");
        fmt::print(ready ? stdout : stderr, "{}", ready ? report.substr(6) : report);
        return ready ? kExitOk : kExitFailure;
    }
    ::close(pipe_fds[0]);
    ::setsid();
    auto server = net::Server::create(std::move(config), path, std::move(run_as));
    std::string report;
    if (!server) {
        report = "herald: " + server.error() + "\n";
    } else {
        report = "ready\n";
        for (const auto& line : (*server)->startup_report()) report += "herald: " + line + "\n";
        report += fmt::format("herald: running as pid {}\n", ::getpid());
    }
    [[maybe_unused]] auto written = ::write(pipe_fds[1], report.data(), report.size());
    ::close(pipe_fds[1]);
    if (!server) ::_exit(kExitFailure);
    int devnull = ::open("/dev/null", O_RDWR);
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    ::_exit((*server)->run());
}

int serve_foreground(config::Config config, const std::filesystem::path& path,
                     std::optional<net::RunAs> run_as) {
    auto server = net::Server::create(std::move(config), path, std::move(run_as));
    if (!server) {
        fmt::print(stderr, "herald: {}\n", server.error());
        return kExitFailure;
    }
    for (const auto& line : (*server)->startup_report()) fmt::print("herald: {}\n", line);
    std::fflush(stdout);
    return (*server)->run();
}

}  // namespace

void add_serve_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto* cmd = app.add_subcommand("serve", "Run the mail server");
    auto foreground = std::make_shared<bool>(false);
    auto allow_root = std::make_shared<bool>(false);
    cmd->add_flag("--foreground", *foreground, "stay in the foreground (logs still go to files)");
    cmd->add_flag("--allow-root", *allow_root,
                  "serve as root when [server] user is not set (not for production)");
    cmd->callback([&global, &exit_code, foreground, allow_root] {
        auto config = load_serving_config_or_report(global.config);
        if (!config) {
            exit_code = kExitUsage;
            return;
        }
        auto run_as = net::decide_run_as(config->server, *allow_root);
        if (!run_as) {
            fmt::print(stderr, "herald: {}\n", run_as.error());
            exit_code = kExitUsage;
            return;
        }
        // Absolute: a reload must find the same file whatever the working directory.
        const auto path = std::filesystem::absolute(global.config);
        exit_code = *foreground ? serve_foreground(std::move(*config), path, std::move(*run_as))
                                : serve_detached(std::move(*config), path, std::move(*run_as));
    });
}

}  // namespace herald::cli
