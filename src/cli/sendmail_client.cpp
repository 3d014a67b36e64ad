#include "cli/sendmail_client.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace herald::cli {

namespace {

class Socket {
  public:
    Socket() : fd_(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) {}
    ~Socket() {
        if (fd_ >= 0) ::close(fd_);
    }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    int fd() const { return fd_; }

  private:
    int fd_;
};

bool send_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

// One line, at most a few KiB: the server's reply.
bool read_line(int fd, std::string& line) {
    char c;
    while (line.size() < 16384) {
        ssize_t n = ::recv(fd, &c, 1, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        line += c;
        if (c == '\n') return true;
    }
    return false;
}

}  // namespace

Handover hand_to_server(const std::filesystem::path& socket_path,
                        const accept::LocalRequest& request, const std::string& data,
                        std::chrono::seconds timeout) {
    Handover handover;
    Socket socket;
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string path = socket_path.string();
    if (socket.fd() < 0 || path.size() >= sizeof address.sun_path) {
        handover.error = path + ": cannot be reached through a socket";
        return handover;
    }
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    if (::connect(socket.fd(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        handover.error = path + ": " + std::strerror(errno);
        return handover;
    }
    timeval deadline{.tv_sec = static_cast<time_t>(timeout.count()), .tv_usec = 0};
    ::setsockopt(socket.fd(), SOL_SOCKET, SO_SNDTIMEO, &deadline, sizeof deadline);
    ::setsockopt(socket.fd(), SOL_SOCKET, SO_RCVTIMEO, &deadline, sizeof deadline);
    handover.outcome = Handover::Outcome::interrupted;
    // A refusal may come before the whole message is written (too large): read it anyway.
    const bool sent =
        send_all(socket.fd(), accept::encode_local_request(request)) && send_all(socket.fd(), data);
    if (sent) ::shutdown(socket.fd(), SHUT_WR);
    std::string line;
    errno = 0;
    if (!read_line(socket.fd(), line)) {
        handover.error = path + ": no answer from the server" +
                         (errno != 0 ? std::string(": ") + std::strerror(errno) : "");
        return handover;
    }
    auto reply = accept::parse_local_reply(line);
    if (!reply) {
        handover.error = reply.error();
        return handover;
    }
    handover.outcome = Handover::Outcome::answered;
    handover.reply = std::move(*reply);
    return handover;
}

}  // namespace herald::cli
