#include "doctor/tls_probe.hpp"

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/this_coro.hpp>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <variant>

#include "config/value_formats.hpp"
#include "delivery/destination.hpp"
#include "delivery/transports/smtp_stream.hpp"
#include "smtp/client_session.hpp"

namespace herald::doctor {

namespace asio = boost::asio;
using Level = Finding::Level;

namespace {

// EHLO and STARTTLS, as a sender would say them. The session needs a transaction to refuse
// so that it reports why TLS could not start; it never reaches MAIL, the probe stops at the
// handshake.
asio::awaitable<Status> start_tls(delivery::SmtpStream& stream, const TlsProbeOptions& options) {
    smtp::ClientSettings settings{.helo = options.helo, .tls = smtp::ClientSettings::Tls::required};
    smtp::ClientSession session(settings, smtp::OutboundMessage{.recipients = {"postmaster"}});
    while (!session.closed()) {
        const std::string output = session.take_output();
        if (!output.empty()) {
            auto written = co_await stream.write(output, options.timeout);
            if (!written) co_return written;
        }
        while (auto event = session.take_event()) {
            if (std::holds_alternative<smtp::StartTlsNeeded>(*event)) co_return ok_status();
            if (auto* done = std::get_if<smtp::TransactionDone>(&*event)) {
                co_return Error{done->result.recipients.front().reply};
            }
        }
        auto bytes = co_await stream.read_some(options.timeout);
        if (bytes) {
            session.receive(*bytes);
        } else if (stream.timed_out()) {
            session.timed_out();
        } else {
            session.connection_lost(bytes.error());
        }
    }
    co_return Error{"the server closed the connection before STARTTLS"};
}

std::string asn1_text(const ASN1_STRING* text) {
    return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
            static_cast<std::size_t>(ASN1_STRING_length(text))};
}

std::string common_name(const X509_NAME* name) {
    const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (index < 0) return "(no CN)";
    return asn1_text(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index)));
}

// The names a certificate is for: its DNS subjectAltNames, else its subject's CN.
std::string certificate_names(X509* cert) {
    std::string names;
    auto* sans =
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
    for (int i = 0; sans != nullptr && i < sk_GENERAL_NAME_num(sans); ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(sans, i);
        if (name->type != GEN_DNS) continue;
        names += (names.empty() ? "" : ", ") + asn1_text(name->d.dNSName);
    }
    GENERAL_NAMES_free(sans);
    return names.empty() ? common_name(X509_get_subject_name(cert)) : names;
}

Finding protocol_finding(SSL* ssl, const TlsTarget& target) {
    const std::string description =
        std::string(SSL_get_version(ssl)) + " " + SSL_get_cipher_name(ssl) + " on " + target.host +
        ":" + std::to_string(target.port) + (target.implicit ? " (implicit TLS)" : " (STARTTLS)");
    if (SSL_version(ssl) < TLS1_2_VERSION) {
        return {Level::fail, "tls",
                description + ": TLS below 1.2 is deprecated (RFC 8996). Enable TLS 1.2 and 1.3"};
    }
    return {Level::pass, "tls", description};
}

Finding chain_finding(long verify, X509* cert) {
    if (verify == X509_V_OK) {
        return {Level::pass, "tls-cert",
                "the chain verifies, issued by " + common_name(X509_get_issuer_name(cert))};
    }
    if (verify == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
        verify == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN) {
        return {Level::fail, "tls-cert",
                "self-signed certificate: mail clients and senders that verify TLS (MTA-STS) "
                "refuse it. Use one from a CA, e.g. Let's Encrypt"};
    }
    std::string advice;
    if (verify == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
        verify == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT) {
        advice = ". Put the intermediate certificates after the server's in [tls] cert";
    }
    return {Level::fail, "tls-cert",
            std::string("the chain does not verify: ") + X509_verify_cert_error_string(verify) +
                " (issued by " + common_name(X509_get_issuer_name(cert)) + ")" + advice};
}

Finding name_finding(X509* cert, const std::string& host) {
    const int named = config::is_ip_address(host)
                          ? X509_check_ip_asc(cert, host.c_str(), 0)
                          : X509_check_host(cert, host.data(), host.size(), 0, nullptr);
    if (named == 1) return {Level::pass, "tls-name", "the certificate names " + host};
    return {Level::fail, "tls-name",
            "the certificate is for " + certificate_names(cert) + ", not " + host +
                ": senders that verify the name refuse it"};
}

std::string date_text(const ASN1_TIME* time) {
    std::tm tm{};
    if (ASN1_TIME_to_tm(time, &tm) != 1) return "?";
    char text[16];
    std::strftime(text, sizeof text, "%Y-%m-%d", &tm);
    return text;
}

Finding expiry_finding(X509* cert, int warning_days) {
    const ASN1_TIME* not_after = X509_get0_notAfter(cert);
    if (X509_cmp_current_time(X509_get0_notBefore(cert)) > 0) {
        return {Level::fail, "tls-expiry",
                "not valid before " + date_text(X509_get0_notBefore(cert)) +
                    ": is the server's clock right?"};
    }
    int days = 0;
    int seconds = 0;
    if (ASN1_TIME_diff(&days, &seconds, nullptr, not_after) != 1) {
        return {Level::warn, "tls-expiry", "cannot read the expiry date"};
    }
    const std::string until = " (" + date_text(not_after) + ")";
    if (days < 0 || seconds < 0) {
        return {Level::fail, "tls-expiry", "expired" + until + ": renew the certificate"};
    }
    const std::string left = "expires in " + std::to_string(days) + " days" + until;
    if (days < warning_days) {
        return {Level::warn, "tls-expiry", left + ": renew it now (is automatic renewal off?)"};
    }
    return {Level::pass, "tls-expiry", left};
}

std::vector<Finding> certificate_report(SSL* ssl, const TlsTarget& target,
                                        const TlsProbeOptions& options) {
    std::vector<Finding> out{protocol_finding(ssl, target)};
    X509* cert = SSL_get1_peer_certificate(ssl);
    if (cert == nullptr) {
        out.push_back({Level::fail, "tls-cert", "the server sent no certificate"});
        return out;
    }
    out.push_back(chain_finding(SSL_get_verify_result(ssl), cert));
    out.push_back(name_finding(cert, target.host));
    out.push_back(expiry_finding(cert, options.expiry_warning_days));
    X509_free(cert);
    return out;
}

std::vector<Finding> failed(std::string detail) {
    return {{Level::fail, "tls", std::move(detail)}};
}

}  // namespace

Result<TlsTarget> parse_tls_target(std::string_view text) {
    constexpr std::string_view kImplicit = "smtps://";
    const bool implicit = text.starts_with(kImplicit);
    if (implicit) text.remove_prefix(kImplicit.size());
    auto parsed = config::parse_host_port(text);
    if (!parsed) return Error{parsed.error()};
    constexpr std::uint16_t kSubmissions = 465;  // RFC 8314 3.3
    return TlsTarget{.host = parsed->host,
                     .port = parsed->port,
                     .implicit = implicit || parsed->port == kSubmissions};
}

asio::awaitable<std::vector<Finding>> check_tls(dns::Resolver& resolver, const TlsTarget& target,
                                                const TlsProbeOptions& options) {
    // Resolved as the smtp transport resolves a smarthost: an address literal as it is,
    // else A, then AAAA.
    delivery::DestinationResolver destinations(resolver);
    const auto destination = co_await destinations.for_host(target.host);
    if (!destination.ok()) co_return failed(destination.reason);
    const std::string& address = destination.hosts.front().addresses.front();
    asio::ssl::context context(asio::ssl::context::tls_client);
    boost::system::error_code ec;
    context.set_default_verify_paths(ec);
    if (!ec && !options.ca_file.empty()) context.load_verify_file(options.ca_file.string(), ec);
    if (ec) co_return failed("cannot load the trusted certificates: " + ec.message());
    auto executor = co_await asio::this_coro::executor;
    delivery::SmtpStream stream(executor, context);
    const std::string any_source;
    auto connected = co_await stream.connect(address, target.port, any_source, options.timeout);
    if (!connected)
        co_return failed(target.host + ":" + std::to_string(target.port) + ": " +
                         connected.error());
    if (!target.implicit) {
        auto started = co_await start_tls(stream, options);
        if (!started) co_return failed("STARTTLS: " + started.error());
    }
    // Not verifying here: the report says what is wrong with the certificate rather than
    // stopping at the first problem.
    constexpr bool kVerify = false;
    auto shaken = co_await stream.handshake(target.host, kVerify, options.timeout);
    if (!shaken) co_return failed(shaken.error());
    auto report = certificate_report(stream.tls_session(), target, options);
    co_await stream.close();
    co_return report;
}

}  // namespace herald::doctor
