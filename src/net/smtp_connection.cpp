#include "net/smtp_connection.hpp"

#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <optional>
#include <tuple>

#include "accept/acceptance.hpp"
#include "accept/signing_decision.hpp"
#include "base/expiry.hpp"
#include "base/io_deadline.hpp"
#include "base/peer_address.hpp"
#include "base/upgradable_stream.hpp"
#include "policy/session_gate.hpp"
#include "spool/incoming_text.hpp"

namespace herald::net {

namespace asio = boost::asio;
using asio::use_awaitable;
using asio::ip::tcp;

namespace {

// A user name as the client sent it, fit for a log line.
std::string loggable_name(std::string_view name) {
    constexpr std::size_t kMaxLogged = 64;
    std::string out(name.substr(0, kMaxLogged));
    for (char& c : out) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 32 || u == 127) c = '?';
    }
    return out;
}

// The byte stream under a session: plain TCP until STARTTLS (or from the start, for
// implicit TLS), then TLS over the same socket.
class SessionStream {
  public:
    SessionStream(tcp::socket socket, asio::ssl::context& tls)
        : stream_(std::move(socket), tls), deadline_(stream_.socket().get_executor(), [this] {
              boost::system::error_code ignored;
              this->socket().cancel(ignored);
          }) {}

    tcp::socket& socket() { return stream_.socket(); }
    bool tls_active() const { return stream_.tls_active(); }

    asio::awaitable<bool> handshake(std::chrono::seconds timeout) {
        deadline_.arm(timeout);
        auto [ec] =
            co_await stream_.tls().async_handshake(asio::ssl::stream_base::server, with_error_code);
        deadline_.disarm();
        if (!ec) stream_.tls_established();
        co_return !ec;
    }

    // Returns 0 on timeout, end of stream or error.
    asio::awaitable<std::size_t> read_some(asio::mutable_buffer buf, std::chrono::seconds timeout) {
        deadline_.arm(timeout);
        const auto done = co_await stream_.async_read_some(buf, with_error_code);
        deadline_.disarm();
        auto [ec, n] = done;
        timed_out_ = deadline_.expired();
        if (timed_out_ || ec) co_return 0;
        co_return n;
    }
    bool timed_out() const { return timed_out_; }

    // False on timeout or error. A client that pipelines commands and never reads the
    // replies stops this write once the socket buffers fill: without a deadline it would
    // hold its connection slot (and its per-IP share) for ever.
    asio::awaitable<bool> write(std::string_view bytes, std::chrono::seconds timeout) {
        deadline_.arm(timeout);
        const auto done = co_await stream_.async_write(asio::buffer(bytes), with_error_code);
        deadline_.disarm();
        const boost::system::error_code ec = std::get<0>(done);
        write_timed_out_ = deadline_.expired();
        co_return !write_timed_out_ && !ec;
    }
    bool write_timed_out() const { return write_timed_out_; }

    asio::awaitable<void> close() {
        boost::system::error_code ec;
        // After a cut-off write the TLS stream is mid-record: a close_notify would only wait
        // on the same full buffers.
        if (tls_active() && !write_timed_out_) {
            deadline_.arm(std::chrono::seconds(5));
            std::tie(ec) = co_await stream_.tls().async_shutdown(with_error_code);
            deadline_.disarm();
        }
        // close() alone sends the FIN (a shutdown() first was one more system call a
        // connection, and found most clients gone already).
        socket().close(ec);
    }

  private:
    UpgradableStream stream_;
    IoDeadline deadline_;  // every wait's; cancels the socket's operations when it passes
    bool timed_out_ = false;
    bool write_timed_out_ = false;
};

class Connection {
  public:
    Connection(tcp::socket socket, const SmtpServices& services)
        : services_(services), stream_(std::move(socket), *services.tls->context) {}

    asio::awaitable<void> run(const asio::ip::address& peer) {
        const auto remote = unmapped(peer);
        smtp::SessionSettings settings = services_.settings;
        settings.allow_plaintext_auth =
            services_.allow_plaintext_auth_on_loopback && remote.is_loopback();
        client_.ip = remote.to_string();
        policies_ = services_.policies();
        policy::SessionGate gate(policies_->relay, policies_->limiter.get(),
                                 &policies_->suppressing, policies_->limits_shared);
        gate_ = &gate;
        smtp::ServerSession session(settings, client_, gate);

        if (settings.tls_active && !co_await stream_.handshake(settings.command_timeout)) {
            co_await stream_.close();
            co_return;
        }
        session.start();
        std::array<char, 16384> buf;
        while (true) {
            if (!co_await handle_events(session)) break;
            if (session.closed()) break;
            std::size_t n = co_await stream_.read_some(asio::buffer(buf), session.read_timeout());
            if (n == 0) {
                if (stream_.timed_out()) {
                    session.timed_out();
                    co_await handle_events(session);
                }
                break;
            }
            session.receive(std::string_view(buf.data(), n));
        }
        co_await stream_.close();
        co_await drop_text();  // a client gone in the middle of DATA leaves nothing behind
    }

  private:
    // Writes what the session has to say and carries out what it asks, until it needs input.
    asio::awaitable<bool> handle_events(smtp::ServerSession& session) {
        while (true) {
            for (auto& rejection : session.take_rejections()) {
                services_.log_rejection(client_.ip, rejection);
            }
            std::string out = session.take_output();
            if (!out.empty() && !co_await write(out)) co_return false;
            auto event = session.take_event();
            if (!event) co_return true;
            if (std::holds_alternative<smtp::CloseConnection>(*event)) co_return false;
            if (std::holds_alternative<smtp::StartTls>(*event)) {
                if (!co_await stream_.handshake(session.read_timeout())) co_return false;
                session.tls_started();
            } else if (auto* auth = std::get_if<smtp::AuthRequest>(&*event)) {
                co_await authenticate(session, *auth);
            } else if (std::holds_alternative<smtp::PolicyQuery>(*event)) {
                session.policy_answer(
                    co_await services_.shared_limits->settle(*gate_, *policies_->limiter));
            } else if (auto* piece = std::get_if<smtp::MessageData>(&*event)) {
                co_await keep_text(piece->text);
            } else if (std::holds_alternative<smtp::DiscardMessage>(*event)) {
                co_await drop_text();
            } else if (auto* msg = std::get_if<smtp::MessageReady>(&*event)) {
                // The header section, read back (an empty message has a text too).
                std::string headers;
                if (!text_) text_.emplace(services_.intake->incoming());
                co_await with_text(
                    [this, &headers, msg] { (void)text_->read_at(0, msg->header_size, headers); });
                co_await enqueue(session, std::move(*msg), std::move(headers));
                co_await drop_text();
            }
        }
    }

    // The command timeout bounds a write as it bounds a read: the client has that long to
    // take our replies.
    asio::awaitable<bool> write(std::string_view out) {
        const auto timeout = services_.settings.command_timeout;
        if (co_await stream_.write(out, timeout)) co_return true;
        if (stream_.write_timed_out()) {
            services_.note("connection from " + client_.ip + " closed: replies not read for " +
                           std::to_string(timeout.count()) + "s");
        }
        co_return false;
    }

    // DATA is kept in memory while it is small (spool/incoming_text.hpp), and beyond goes to
    // a file in the spool as it arrives, written on the blocking pool: the connection holds
    // one read's worth of a large text, and a disk that stalls stalls only the connections
    // writing to it, not the event loop.
    asio::awaitable<void> keep_text(std::string_view piece) {
        if (!text_) text_.emplace(services_.intake->incoming());
        if (text_->keep_in_memory(piece)) co_return;
        co_await services_.pool->run([this, piece] { text_->append(piece); });
    }

    asio::awaitable<void> drop_text() {
        if (!text_) co_return;
        co_await with_text([this] { text_.reset(); });  // unlink: may take a while
    }

    // Runs `use` (of the text) here while the text is in memory; on the blocking pool once it
    // is in a file.
    template <typename Use>
    asio::awaitable<void> with_text(Use use) {
        if (text_->on_disk()) {
            co_await services_.pool->run(std::move(use));
        } else {
            use();
        }
    }

    asio::awaitable<void> authenticate(smtp::ServerSession& session, smtp::AuthRequest& request) {
        state::AuthFailures* throttle = services_.auth_failures;
        if (throttle && co_await throttle->locked(client_.ip, request.user)) {
            // Refused before the password is checked: during a lockout, guessing learns nothing.
            std::fill(request.password.begin(), request.password.end(), '\0');
            session.auth_refused(smtp::Reply(454, "4.7.0", "Temporary authentication failure"));
            co_return;
        }
        bool accepted = co_await services_.pool->run([this, &request] {
            bool ok = policies_->verifier.verify(request.user, request.password);
            std::fill(request.password.begin(), request.password.end(), '\0');
            return ok;
        });
        if (accepted) {
            if (throttle) co_await throttle->succeeded(client_.ip);
            session.auth_result(true);
            co_return;
        }
        // Slows down guessing; the failure itself goes to the rejectlog via the session.
        std::chrono::milliseconds wait = services_.auth_failure_delay;
        if (throttle) {
            const auto failure = co_await throttle->failed(client_.ip, request.user);
            wait = failure.delay;
            if (failure.ip_locked) note_lockout(throttle->local(), "client " + client_.ip);
            if (failure.user_locked) {
                note_lockout(throttle->local(), "user " + loggable_name(request.user));
            }
        }
        asio::steady_timer delay(co_await asio::this_coro::executor, wait);
        co_await delay.async_wait(asio::as_tuple(use_awaitable));
        session.auth_result(false);
    }

    // Every limit says when it bites.
    void note_lockout(const policy::AuthThrottle& throttle, const std::string& who) {
        const auto& settings = throttle.settings();
        services_.note("AUTH locked out for " + who + " after " +
                       std::to_string(settings.failures_before_lockout) +
                       " failures: refused with 454 for " +
                       std::to_string(settings.lockout.count()) + "s");
    }

    // `headers`: the message's header section, read back from its file. The steps of
    // acceptance are accept::Acceptance's; this only says who asked and relays the verdict.
    asio::awaitable<void> enqueue(smtp::ServerSession& session, smtp::MessageReady ready,
                                  std::string headers) {
        accept::Submission submission{
            .envelope = std::move(ready.envelope),
            .submission = services_.settings.mode != smtp::SessionMode::relay,
            .text = &*text_,
            .header_size = ready.header_size,
            .headers = std::move(headers),
            .client_reverse_name = client_.reverse_name};
        submission.envelope.from_outsider =
            accept::origin_of(policies_->relay, submission.envelope) == accept::Origin::outsider;
        auto verdict = co_await services_.acceptance->accept(submission, *policies_);
        if (auto* accepted = std::get_if<queue::Accepted>(&verdict)) {
            session.message_accepted(accepted->id);
        } else {
            session.message_rejected(std::get<smtp::Reply>(verdict));
        }
    }

    const SmtpServices& services_;
    std::shared_ptr<policy::Policies> policies_;
    policy::SessionGate* gate_ = nullptr;  // the session's, for its PolicyQuery events
    SessionStream stream_;
    smtp::ClientInfo client_;
    std::optional<spool::IncomingText> text_;  // of the message in DATA, as far as it came
};

}  // namespace

namespace {

// Counts the connection as open for as long as it lives, however it ends.
class ConnectionGauge {
  public:
    explicit ConnectionGauge(admin::Metrics* metrics) : metrics_(metrics) {
        if (metrics_) metrics_->connection_opened();
    }
    ~ConnectionGauge() {
        if (metrics_) metrics_->connection_closed();
    }
    ConnectionGauge(const ConnectionGauge&) = delete;
    ConnectionGauge& operator=(const ConnectionGauge&) = delete;

  private:
    admin::Metrics* metrics_;
};

}  // namespace

asio::awaitable<void> serve_smtp_connection(tcp::socket socket, tcp::endpoint peer,
                                            ConnectionLimits::Slot slot,
                                            const SmtpServices& services) {
    Connection connection(std::move(socket), services);
    ConnectionGauge gauge(services.metrics);
    co_await connection.run(peer.address());
}

}  // namespace herald::net
