#include "delivery/transports/smtp.hpp"

#include <boost/asio/this_coro.hpp>

#include <openssl/ssl.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "delivery/transports/smtp_stream.hpp"

namespace herald::delivery {

namespace asio = boost::asio;
using Outcome = RecipientResult::Outcome;

namespace {

// Large messages are written in blocks, each with the RFC 5321 4.5.3.2.5 data block timeout.
constexpr std::size_t kWriteBlock = 65536;
// RFC 8314 3.3: port 465 is SMTP submission over implicit TLS.
constexpr std::uint16_t kImplicitTlsPort = 465;

Outcome outcome_of(smtp::RecipientStatus status) {
    switch (status) {
        case smtp::RecipientStatus::delivered:
            return Outcome::delivered;
        case smtp::RecipientStatus::failed:
            return Outcome::failed;
        case smtp::RecipientStatus::deferred:
            break;
    }
    return Outcome::deferred;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string domain_of(std::string_view address) {
    const std::size_t at = address.rfind('@');
    return at == std::string_view::npos ? "" : lower(address.substr(at + 1));
}

// The password is the file's content without its line ending; it is never logged.
Result<std::string> read_password(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error{"cannot read auth_password_file " + path.string()};
    std::string password((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) {
        password.pop_back();
    }
    if (password.empty()) return Error{"auth_password_file " + path.string() + " is empty"};
    return password;
}

}  // namespace

// What one connection to one address achieved.
struct SmtpTransport::Attempt {
    bool connected = false;  // false: nothing was said; `why` tells
    std::string why;
    bool starttls_failed = false;
    smtp::TransactionResult result;
};

SmtpTransport::SmtpTransport(const config::Transport& config, dns::Resolver& resolver,
                             std::string default_helo, SmtpTransportOptions options)
    : config_(config),
      helo_(std::move(default_helo)),
      options_(std::move(options)),
      destinations_(resolver),
      limiter_(config.max_connections),
      verifying_tls_(asio::ssl::context::tls_client),
      opportunistic_tls_(asio::ssl::context::tls_client) {
    boost::system::error_code ec;
    verifying_tls_.set_default_verify_paths(ec);
    if (!ec && !options_.ca_file.empty()) verifying_tls_.load_verify_file(options_.ca_file, ec);
    if (ec) tls_setup_error_ = "cannot load the trusted certificates: " + ec.message();
    SSL_CTX_set_min_proto_version(verifying_tls_.native_handle(), TLS1_2_VERSION);
}

asio::awaitable<std::vector<RecipientResult>> SmtpTransport::deliver(const Delivery& delivery) {
    std::vector<RecipientResult> results;
    auto credentials_read = co_await credentials();
    std::string trouble = tls_setup_error_;
    if (!credentials_read) trouble = credentials_read.error();
    if (!trouble.empty()) {
        for (const auto& recipient : delivery.recipients) {
            results.push_back(
                {recipient, Outcome::deferred, "transport " + config_.name + ": " + trouble, ""});
        }
        co_return results;
    }
    for (const Group& g : group(delivery.recipients)) {
        auto group_results = co_await deliver_group(g, delivery, *credentials_read);
        std::move(group_results.begin(), group_results.end(), std::back_inserter(results));
    }
    // The caller gets the results in the order of its recipients.
    std::vector<RecipientResult> ordered;
    ordered.reserve(results.size());
    for (const auto& recipient : delivery.recipients) {
        auto it = std::find_if(results.begin(), results.end(),
                               [&](const RecipientResult& r) { return r.recipient == recipient; });
        ordered.push_back(std::move(*it));
        results.erase(it);
    }
    co_return ordered;
}

// MX mode: one transaction per recipient domain. Smarthost: one for all.
std::vector<SmtpTransport::Group> SmtpTransport::group(
    const std::vector<std::string>& recipients) const {
    std::vector<Group> groups;
    for (const auto& recipient : recipients) {
        const std::string destination = config_.host.empty() ? domain_of(recipient) : config_.host;
        auto it = std::find_if(groups.begin(), groups.end(),
                               [&](const Group& g) { return g.destination == destination; });
        if (it == groups.end()) it = groups.insert(groups.end(), Group{destination, {}});
        it->recipients.push_back(recipient);
    }
    return groups;
}

asio::awaitable<std::vector<RecipientResult>> SmtpTransport::deliver_group(
    const Group& g, const Delivery& delivery,
    const std::optional<smtp::ClientCredentials>& credentials) {
    std::vector<RecipientResult> results;
    // Not a conditional expression: GCC 12 miscompiles co_await inside one.
    Destination destination;
    if (config_.host.empty()) {
        destination = co_await destinations_.for_domain(g.destination);
    } else {
        destination = co_await destinations_.for_host(g.destination);
    }
    if (!destination.ok()) {
        const Outcome outcome =
            destination.status == Destination::Status::failed ? Outcome::failed : Outcome::deferred;
        for (const auto& recipient : g.recipients) {
            results.push_back({recipient, outcome, destination.reason, ""});
        }
        co_return results;
    }
    for (const auto& recipient : g.recipients) {
        results.push_back({recipient, Outcome::deferred, "no host was tried", ""});
    }
    auto permit = co_await limiter_.acquire(g.destination);
    std::vector<std::size_t> pending(g.recipients.size());
    for (std::size_t i = 0; i < pending.size(); ++i) pending[i] = i;

    smtp::OutboundMessage message{delivery.envelope.sender,
                                  {},
                                  delivery.data,
                                  delivery.envelope.smtputf8,
                                  delivery.envelope.body_8bit};
    for (const TargetHost& host : destination.hosts) {
        for (const std::string& ip : host.addresses) {
            if (pending.empty()) co_return results;
            message.recipients.clear();
            for (std::size_t i : pending) message.recipients.push_back(g.recipients[i]);
            smtp::ClientSettings settings = client_settings();
            settings.auth = credentials;
            Attempt a = co_await attempt(host, ip, message, settings);
            // A server whose TLS is broken still gets the mail in plaintext when TLS is only
            // opportunistic (RFC 7435), but never credentials.
            if (a.starttls_failed && settings.tls == smtp::ClientSettings::Tls::opportunistic &&
                !credentials) {
                log("TLS with " + host.name + " [" + ip + "] failed; retrying without TLS");
                settings.tls = smtp::ClientSettings::Tls::none;
                a = co_await attempt(host, ip, message, settings);
            }
            const std::string remote = host.name + " [" + ip + "]";
            if (!a.connected) {
                log(a.why);
                for (std::size_t i : pending) {
                    results[i] = {g.recipients[i], Outcome::deferred, a.why, remote};
                }
                continue;
            }
            std::vector<std::size_t> still_pending;
            for (std::size_t k = 0; k < a.result.recipients.size() && k < pending.size(); ++k) {
                const auto& reply = a.result.recipients[k];
                const std::size_t i = pending[k];
                results[i] = {g.recipients[i], outcome_of(reply.status), reply.reply, remote};
                if (a.result.try_next_host && reply.status == smtp::RecipientStatus::deferred) {
                    still_pending.push_back(i);
                }
            }
            pending = std::move(still_pending);
        }
    }
    co_return results;
}

asio::awaitable<SmtpTransport::Attempt> SmtpTransport::attempt(const TargetHost& host,
                                                               const std::string& ip,
                                                               const smtp::OutboundMessage& message,
                                                               const smtp::ClientSettings& client) {
    Attempt a;
    smtp::ClientSettings settings = client;
    const bool verify = settings.tls == smtp::ClientSettings::Tls::required;
    // A certificate names the host; for an address literal there is only the address.
    const std::string peer_name = host.name.starts_with('[') ? ip : host.name;
    const std::string where = host.name + " [" + ip + "]:" + std::to_string(config_.port);
    SmtpStream stream(co_await asio::this_coro::executor,
                      verify ? verifying_tls_ : opportunistic_tls_);
    const SmtpTimeouts& t = options_.timeouts;
    if (auto connected =
            co_await stream.connect(ip, config_.port, config_.source_address, t.connect);
        !connected) {
        a.why = "connect to " + where + ": " + connected.error();
        co_return a;
    }
    if (config_.port == kImplicitTlsPort && settings.tls != smtp::ClientSettings::Tls::none) {
        auto tls = co_await stream.handshake(peer_name, verify, t.tls_handshake);
        if (!tls) {
            a.why = "TLS with " + where + ": " + tls.error();
            co_await stream.close();
            co_return a;
        }
        settings.tls_active = true;
    }
    a.connected = true;
    smtp::ClientSession session(std::move(settings), message);
    while (true) {
        const std::string out = session.take_output();
        for (std::size_t at = 0; at < out.size(); at += kWriteBlock) {
            auto written =
                co_await stream.write(std::string_view(out).substr(at, kWriteBlock), t.data_block);
            if (!written) {
                session.connection_lost(written.error());
                break;
            }
        }
        bool acted = false;
        while (auto event = session.take_event()) {
            acted = true;
            if (std::holds_alternative<smtp::StartTlsNeeded>(*event)) {
                auto tls = co_await stream.handshake(peer_name, verify, t.tls_handshake);
                if (tls) {
                    log("TLS with " + where + ": " + stream.tls_description() +
                        (verify ? ", certificate verified" : ", certificate not verified"));
                    session.tls_started();
                } else {
                    a.starttls_failed = true;
                    session.tls_failed(tls.error());
                }
            } else if (auto* done = std::get_if<smtp::TransactionDone>(&*event)) {
                a.result = std::move(done->result);
                session.quit();
            }
        }
        if (session.closed()) break;
        if (acted) continue;  // what the events did may have more to write
        auto read = co_await stream.read_some(timeout_for(session.waiting_for()));
        if (!read) {
            if (stream.timed_out()) {
                session.timed_out();
            } else {
                session.connection_lost(read.error());
            }
            continue;
        }
        session.receive(*read);
    }
    co_await stream.close();
    co_return a;
}

asio::awaitable<Result<std::optional<smtp::ClientCredentials>>> SmtpTransport::credentials() {
    using Credentials = std::optional<smtp::ClientCredentials>;
    if (config_.auth_user.empty()) co_return Credentials();
    const std::filesystem::path path = config_.auth_password_file;
    Result<std::string> password = Error{""};
    if (options_.pool) {
        // By reference: GCC 12 destroys owning captures of a co_await operand twice.
        password = co_await options_.pool->run([&path] { return read_password(path); });
    } else {
        password = read_password(path);
    }
    if (!password) co_return Error{password.error()};
    co_return Credentials(smtp::ClientCredentials{config_.auth_user, std::move(*password)});
}

smtp::ClientSettings SmtpTransport::client_settings() const {
    smtp::ClientSettings settings;
    settings.helo = config_.helo.empty() ? helo_ : config_.helo;
    switch (config_.tls) {
        case config::Transport::TlsMode::none:
            settings.tls = smtp::ClientSettings::Tls::none;
            break;
        case config::Transport::TlsMode::opportunistic:
            settings.tls = smtp::ClientSettings::Tls::opportunistic;
            break;
        case config::Transport::TlsMode::required:
            settings.tls = smtp::ClientSettings::Tls::required;
            break;
    }
    return settings;
}

std::chrono::seconds SmtpTransport::timeout_for(smtp::ClientWait wait) const {
    const SmtpTimeouts& t = options_.timeouts;
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

void SmtpTransport::log(const std::string& line) const {
    if (options_.log) options_.log(line);
}

}  // namespace herald::delivery
