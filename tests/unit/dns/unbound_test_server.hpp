#pragma once
// A real unbound on a free loopback port answering authoritatively from local-data, so that
// the network resolver (and delivery) are tested against a real DNS server with no upstream.
// The test starts it and stops it by the PID it started; the config lives in a temporary
// directory removed afterwards.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace herald::dns::testing {

// A loopback port free for both UDP and TCP right now (the kernel's choice).
inline std::uint16_t free_loopback_port() {
    for (int attempt = 0; attempt < 20; ++attempt) {
        const int udp = ::socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t size = sizeof address;
        std::uint16_t port = 0;
        if (::bind(udp, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
            ::getsockname(udp, reinterpret_cast<sockaddr*>(&address), &size) == 0) {
            port = ntohs(address.sin_port);
        }
        ::close(udp);
        const int tcp = ::socket(AF_INET, SOCK_STREAM, 0);
        const bool tcp_free =
            port != 0 && ::bind(tcp, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
        ::close(tcp);
        if (tcp_free) return port;
    }
    return 0;
}

class UnboundTestServer {
  public:
    // `zones` are served as static local zones ("test."); `records` are local-data in zone
    // file syntax ("mx.test. 300 MX 10 a.mx.test."), double quotes allowed, single quotes not.
    UnboundTestServer(const std::vector<std::string>& zones,
                      const std::vector<std::string>& records) {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "herald-unbound-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) {
            error_ = "mkdtemp failed";
            return;
        }
        directory_ = pattern;
        for (int attempt = 0; attempt < 3 && pid_ <= 0; ++attempt) start(zones, records);
    }
    ~UnboundTestServer() {
        stop();
        std::error_code ignored;
        if (!directory_.empty()) std::filesystem::remove_all(directory_, ignored);
    }
    UnboundTestServer(const UnboundTestServer&) = delete;
    UnboundTestServer& operator=(const UnboundTestServer&) = delete;

    bool running() const { return pid_ > 0; }
    std::uint16_t port() const { return port_; }
    std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
    // Why it is not running: unbound's own output.
    const std::string& error() const { return error_; }

    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }

  private:
    void start(const std::vector<std::string>& zones, const std::vector<std::string>& records) {
        port_ = free_loopback_port();
        const auto config = directory_ / "unbound.conf";
        const auto log = directory_ / "unbound.log";
        {
            std::ofstream out(config);
            out << "server:\n"
                << "  interface: 127.0.0.1@" << port_ << "\n  port: " << port_ << "\n"
                << "  do-ip6: no\n  do-daemonize: no\n  chroot: \"\"\n  username: \"\"\n"
                << "  directory: \"" << directory_.string() << "\"\n  pidfile: \"\"\n"
                << "  use-syslog: no\n  logfile: \"\"\n  verbosity: 1\n  num-threads: 1\n"
                << "  module-config: \"iterator\"\n"
                << "  access-control: 127.0.0.0/8 allow\n";
            for (const auto& zone : zones) out << "  local-zone: \"" << zone << "\" static\n";
            for (const auto& record : records) out << "  local-data: '" << record << "'\n";
        }
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                         O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
        std::string program = "/usr/sbin/unbound", flag = "-d", config_flag = "-c",
                    config_path = config.string();
        char* argv[] = {program.data(), flag.data(), config_flag.data(), config_path.data(),
                        nullptr};
        pid_t pid = -1;
        const int spawned = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv, environ);
        posix_spawn_file_actions_destroy(&actions);
        if (spawned != 0) {
            error_ = "cannot run /usr/sbin/unbound";
            return;
        }
        pid_ = pid;
        if (!wait_until_listening()) {
            stop();
            std::ifstream in(log);
            std::ostringstream text;
            text << in.rdbuf();
            error_ = "unbound did not start: " + text.str();
        }
    }

    // Ready once it accepts TCP on its port (it opens UDP and TCP together); gives up after
    // five seconds or when unbound exits.
    bool wait_until_listening() {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (std::chrono::steady_clock::now() < deadline) {
            if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
                pid_ = -1;
                return false;
            }
            const int tcp = ::socket(AF_INET, SOCK_STREAM, 0);
            sockaddr_in address{};
            address.sin_family = AF_INET;
            address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            address.sin_port = htons(port_);
            const bool up =
                ::connect(tcp, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
            ::close(tcp);
            if (up) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return false;
    }

    std::filesystem::path directory_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
    std::string error_;
};

}  // namespace herald::dns::testing
