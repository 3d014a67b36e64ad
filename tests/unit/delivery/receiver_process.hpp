#pragma once
// A receiver (a Python fixture, smtp-sink, ...) started by a transport test and killed by its
// PID when the test ends; and a free loopback port for one that takes its port as argument.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace herald::delivery::testing {

class Receiver {
  public:
    // Runs `argv`; when `announces_port`, waits for "PORT n" on its stdout.
    Receiver(std::vector<std::string> argv, bool announces_port, std::uint16_t port = 0)
        : port_(port) {
        int out[2];
        if (::pipe(out) != 0) return;
        pid_ = ::fork();
        if (pid_ == 0) {
            // Dies with the test, even when the test crashes.
            ::prctl(PR_SET_PDEATHSIG, SIGTERM);
            ::dup2(out[1], STDOUT_FILENO);
            ::close(out[0]);
            std::vector<char*> args;
            for (auto& a : argv) args.push_back(a.data());
            args.push_back(nullptr);
            ::execv(args[0], args.data());
            ::_exit(127);
        }
        ::close(out[1]);
        if (announces_port) port_ = read_port(out[0]);
        ::close(out[0]);
        if (port_ != 0) wait_until_listening();
    }
    ~Receiver() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
    Receiver(const Receiver&) = delete;
    Receiver& operator=(const Receiver&) = delete;

    bool ready() const { return pid_ > 0 && port_ != 0 && listening_; }
    std::uint16_t port() const { return port_; }

  private:
    static std::uint16_t read_port(int fd) {
        std::string line;
        char c = 0;
        pollfd p{fd, POLLIN, 0};
        while (line.find('\n') == std::string::npos && ::poll(&p, 1, 15000) > 0 &&
               ::read(fd, &c, 1) == 1) {
            line += c;
        }
        if (!line.starts_with("PORT ")) return 0;
        return static_cast<std::uint16_t>(std::stoi(line.substr(5)));
    }

    void wait_until_listening() {
        namespace asio = boost::asio;
        for (int i = 0; i < 100 && !listening_; ++i) {
            asio::io_context io;
            asio::ip::tcp::socket socket(io);
            boost::system::error_code ec;
            socket.connect({asio::ip::make_address("127.0.0.1"), port_}, ec);
            listening_ = !ec;
            if (!listening_) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }

    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
    bool listening_ = false;
};

inline std::uint16_t free_port() {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return acceptor.local_endpoint().port();
}

}  // namespace herald::delivery::testing
