#include "delivery/transports/client_connection.hpp"

#include <algorithm>
#include <variant>

namespace herald::delivery {

namespace asio = boost::asio;

namespace {

// Large messages are written in blocks, each with the RFC 5321 4.5.3.2.5 data block timeout.
constexpr std::size_t kWriteBlock = 65536;

}  // namespace

ClientConnection::ClientConnection(asio::any_io_executor executor, asio::ssl::context& tls,
                                   ConnectionTarget target, SmtpTimeouts timeouts, Log log)
    : target_(std::move(target)),
      timeouts_(timeouts),
      log_(std::move(log)),
      stream_(std::move(executor), tls) {}

asio::awaitable<Status> ClientConnection::open() {
    const ConnectionTarget& t = target_;
    if (auto connected = co_await stream_.connect(t.ip, t.port, t.source_ip, timeouts_.connect);
        !connected) {
        co_return Error{"connect to " + t.where + ": " + connected.error()};
    }
    if (t.implicit_tls) {
        auto tls = co_await start_tls();
        if (!tls) {
            handshake_failed_ = true;
            co_await stream_.close();
            co_return Error{"TLS with " + t.where + ": " + tls.error()};
        }
    }
    co_return ok_status();
}

asio::awaitable<Status> ClientConnection::start_tls() {
    const ConnectionTarget& t = target_;
    if (!t.dane.empty()) {
        co_return co_await stream_.handshake_dane(t.peer_name, t.dane, timeouts_.tls_handshake);
    }
    co_return co_await stream_.handshake(t.peer_name, t.verify, timeouts_.tls_handshake);
}

std::string ClientConnection::tls_summary() const {
    std::string summary = stream_.tls_description();
    if (summary.empty()) return summary;
    std::replace(summary.begin(), summary.end(), ' ', ':');
    return summary + (target_.verify ? ":verified" : ":unverified");
}

TlsOutcome ClientConnection::tls_outcome() const {
    using State = TlsOutcome::State;
    State state = State::unknown;
    if (stream_.tls_active()) {
        state = State::established;
    } else if (handshake_failed_) {
        state = State::failed;
    } else if (session_ && session_->starttls_unavailable()) {
        state = State::unavailable;
    }
    return {state, stream_.certificate_error()};
}

asio::awaitable<Exchange> ClientConnection::send_first(const smtp::ClientSettings& settings,
                                                       const smtp::OutboundMessage& message) {
    smtp::ClientSettings session_settings = settings;
    session_settings.tls_active = stream_.tls_active();
    session_ = std::make_unique<smtp::ClientSession>(std::move(session_settings), message);
    co_return co_await converse();
}

asio::awaitable<Exchange> ClientConnection::send_next(const smtp::OutboundMessage& message) {
    session_->send_next(message);
    co_return co_await converse();
}

asio::awaitable<void> ClientConnection::close() {
    if (reusable()) {
        session_->quit();
        co_await write_output(timeouts_.quit);
        // The 221 is not worth waiting for: the transaction is already safe.
    }
    co_await stream_.close();
}

// Drives the session until its transaction is done (it goes idle) or the connection ends.
asio::awaitable<Exchange> ClientConnection::converse() {
    Exchange exchange;
    while (true) {
        co_await write_output(timeouts_.data_block);
        bool acted = false;
        while (auto event = session_->take_event()) {
            acted = true;
            if (std::holds_alternative<smtp::StartTlsNeeded>(*event)) {
                const ConnectionTarget& t = target_;
                auto tls = co_await start_tls();
                if (tls) {
                    if (log_) {
                        log_("TLS with " + t.where + ": " + stream_.tls_description() +
                             (!t.dane.empty() ? ", certificate matches its TLSA records"
                              : t.verify      ? ", certificate verified"
                                              : ", certificate not verified"));
                    }
                    session_->tls_started();
                } else {
                    handshake_failed_ = true;
                    exchange.starttls_failed = true;
                    session_->tls_failed(tls.error());
                }
            } else if (auto* done = std::get_if<smtp::TransactionDone>(&*event)) {
                exchange.result = std::move(done->result);
                ++transactions_;
            }
        }
        if (session_->closed() || session_->idle()) break;
        if (acted) continue;  // what the events did may have more to write
        auto read = co_await stream_.read_some(timeout_for(session_->waiting_for()));
        if (!read) {
            if (stream_.timed_out()) {
                session_->timed_out();
            } else {
                session_->connection_lost(read.error());
            }
            continue;
        }
        session_->receive(*read);
    }
    if (session_->closed()) {
        co_await write_output(timeouts_.quit);
        co_await stream_.close();
    }
    co_return exchange;
}

asio::awaitable<void> ClientConnection::write_output(std::chrono::seconds timeout) {
    const std::string out = session_->take_output();
    for (std::size_t at = 0; at < out.size(); at += kWriteBlock) {
        auto written =
            co_await stream_.write(std::string_view(out).substr(at, kWriteBlock), timeout);
        if (!written) {
            session_->connection_lost(written.error());
            co_return;
        }
    }
}

std::chrono::seconds ClientConnection::timeout_for(smtp::ClientWait wait) const {
    const SmtpTimeouts& t = timeouts_;
    switch (wait) {
        case smtp::ClientWait::greeting:
            return t.greeting;
        case smtp::ClientWait::mail:
            return t.mail;
        case smtp::ClientWait::rcpt:
            return t.rcpt;
        case smtp::ClientWait::data_init:
            return t.data_init;
        case smtp::ClientWait::final_dot:
            return t.final_dot;
        case smtp::ClientWait::tls_handshake:
            return t.tls_handshake;
        case smtp::ClientWait::command:
        case smtp::ClientWait::nothing:
            break;
    }
    return t.command;
}

}  // namespace herald::delivery
