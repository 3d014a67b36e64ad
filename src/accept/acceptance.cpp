#include "accept/acceptance.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>

#include "accept/signing_decision.hpp"
#include "admin/metrics.hpp"
#include "base/address_parts.hpp"
#include "base/ascii_case.hpp"
#include "mailauth/dkim/signing_keys.hpp"
#include "message/header_block.hpp"
#include "message/list_id.hpp"
#include "spool/incoming_text.hpp"

namespace herald::accept {

namespace asio = boost::asio;

namespace {

// Log mode: the verdict of a message already accepted, as an event of that message.
// `slot`: its place among the checks that wait on DNS, held until it ends.
asio::awaitable<void> log_preflight(mailauth::Preflight& preflight, dns::Resolver& resolver,
                                    mailauth::PreflightInput input, std::string id,
                                    std::function<void(const std::string&, const std::string&)> log,
                                    PendingChecks::Slot slot) {
    auto result = co_await preflight.check(input, resolver);
    if (log) log(id, "preflight " + result.summary());
}

// The gate's verdict on an accepted bulk message: known already (reject mode) or checked now.
asio::awaitable<void> log_bulk_verdict(compliance::BulkGate& gate,
                                       compliance::BulkCandidate candidate,
                                       std::optional<std::vector<compliance::RuleVerdict>> verdicts,
                                       std::string id,
                                       decltype(AcceptanceServices::bulk_verdict) log,
                                       PendingChecks::Slot slot) {
    if (!verdicts) verdicts = co_await gate.check(candidate);
    log(id, candidate, *verdicts);
}

// The domain the message will show in From:: its own, or the envelope sender's when the
// arrival stamp is to add a From: that is missing (sendmail).
std::optional<std::string> from_domain_of(const Submission& submission,
                                          const message::HeaderBlock& headers) {
    if (auto domain = mailauth::dkim::author_domain(headers)) return domain;
    if (!submission.add_missing_from || headers.has("From") || submission.envelope.sender.empty()) {
        return std::nullopt;
    }
    return ascii_lowercase(domain_of(submission.envelope.sender));
}

bool relayed(const policy::RelayPolicy& relay, const message::Envelope& envelope) {
    return std::any_of(envelope.recipients.begin(), envelope.recipients.end(),
                       [&relay](const std::string& r) { return !relay.is_local_recipient(r); });
}

smtp::Reply spool_refusal(const queue::IntakeFailure& failure) {
    if (failure.disk_full) {
        return smtp::Reply(452, "4.3.1", "Insufficient system storage, try again later");
    }
    return smtp::Reply(451, "4.3.0", "Local error in processing, try again later");
}

}  // namespace

asio::awaitable<std::optional<std::vector<std::string>>> Acceptance::take_reports(
    const Submission& submission) {
    std::vector<std::string> reports;
    std::vector<std::string> rest;
    for (const auto& r : submission.envelope.recipients) {
        (is_report_address_(r) ? reports : rest).push_back(r);
    }
    if (reports.empty() || submission.text == nullptr) co_return submission.envelope.recipients;
    const bool read = co_await services_.pool->run([this, &submission, &reports] {
        std::string text;
        if (submission.text->read_at(0, submission.text->size(), text) != 0) {
            if (services_.panic) {
                services_.panic("report", "cannot read " + submission.text->path().string());
            }
            return false;
        }
        const std::string& client = submission.envelope.client_ip;
        take_report_(text, reports, client.empty() ? "local" : "[" + client + "]");
        return true;
    });
    if (!read) co_return std::nullopt;
    co_return rest;
}

asio::awaitable<Verdict> Acceptance::accept(const Submission& original,
                                            const policy::Policies& policies) {
    const Submission* chosen = &original;
    std::optional<Submission> rest;
    if (is_report_address_) {
        auto others = co_await take_reports(original);
        if (!others) co_return smtp::Reply(451, "4.3.0", "Report not read; try again later");
        if (others->empty()) co_return smtp::Reply(250, "2.0.0", "Ok: report taken");
        if (others->size() != original.envelope.recipients.size()) {
            rest.emplace(original);
            rest->envelope.recipients = std::move(*others);
            chosen = &*rest;
        }
    }
    const Submission& submission = *chosen;
    auto prepared = co_await prepare(submission, policies);
    if (auto* refused = std::get_if<smtp::Reply>(&prepared)) co_return *refused;
    auto& ready = std::get<Prepared>(prepared);
    auto stored = co_await store(ready);
    if (auto* accepted = std::get_if<queue::Accepted>(&stored)) {
        co_await announce(ready, *accepted);
    }
    co_return stored;
}

asio::awaitable<std::variant<Acceptance::Prepared, smtp::Reply>> Acceptance::prepare(
    const Submission& submission, const policy::Policies& policies) {
    Prepared prepared{.submission = &submission};
    queue::IntakeOptions& options = prepared.options;
    options.hostname = services_.hostname;
    options.client_reverse_name = submission.client_reverse_name;
    options.mask_client = submission.submission && policies.mask_client_ip;
    options.add_missing_ids = submission.submission;
    options.add_missing_from = submission.add_missing_from;
    options.from_display_name = submission.from_display_name;

    // 3. Who may be signed for.
    const auto headers = message::HeaderBlock::parse(submission.headers);
    const auto from_domain = from_domain_of(submission, headers);
    const auto signing = decide_signing(policies.relay, policies.dkim_signing.unowned_from,
                                        submission.envelope, from_domain);
    using Decision = SigningDecision::Verdict;
    if (signing.verdict == Decision::refuse) {
        co_return smtp::Reply(550, "5.7.1", "Not sent: " + signing.reason);
    }
    // 3a. Recipients who left the message's own list (its List-Id is known only now).
    if (auto refused = on_left_list(submission, policies, headers)) co_return *refused;
    // 3b. One-click unsubscribe headers, added before the signatures that must cover them.
    if (services_.unsubscribe) {
        auto decision = services_.unsubscribe->decide(submission.envelope, headers,
                                                      std::chrono::system_clock::now());
        options.added_fields = std::move(decision.fields);
        options.note = std::move(decision.note);
    }
    // 4. The keys, for a domain Herald may sign for.
    if (policies.dkim_keys && from_domain && signing.verdict == Decision::sign) {
        options.dkim =
            co_await policies.dkim_keys->choose(*from_domain, *services_.resolver, services_.note);
    }
    // 5. Preflight: only reject mode makes the client wait for the verdict.
    const auto leaves = leaving(submission, policies, from_domain, options);
    using PreflightMode = config::Preflight::Mode;
    auto preflight =
        services_.preflight && policies.preflight != PreflightMode::off ? leaves : std::nullopt;
    if (preflight && policies.preflight == PreflightMode::reject) {
        auto result = co_await services_.preflight->check(*preflight, *services_.resolver);
        if (auto refusal = result.refusal(*preflight))
            co_return smtp::Reply(550, "5.7.1", *refusal);
        options.preflight = result.summary();
        preflight.reset();
    }
    prepared.preflight_later = std::move(preflight);
    // 5b. The compliance gate, for bulk mail.
    if (auto refused = co_await check_bulk(prepared, headers, leaves)) co_return *refused;
    co_return prepared;
}

std::optional<smtp::Reply> Acceptance::on_left_list(const Submission& submission,
                                                    const policy::Policies& policies,
                                                    const message::HeaderBlock& headers) const {
    const auto& suppressing = policies.suppressing;
    if (!suppressing.on_list) return std::nullopt;
    const auto& envelope = submission.envelope;
    if (!suppressing.refuses(submission.submission || !envelope.auth_user.empty())) {
        return std::nullopt;
    }
    auto why = suppressing.on_list(envelope.sender, envelope.recipients, envelope.auth_user,
                                   message::list_id_of(headers));
    if (!why) return std::nullopt;
    return smtp::Reply(550, "5.7.1", *why);
}

asio::awaitable<std::optional<smtp::Reply>> Acceptance::check_bulk(
    Prepared& prepared, const message::HeaderBlock& headers,
    const std::optional<mailauth::PreflightInput>& leaves) {
    compliance::BulkGate* gate = services_.bulk_gate;
    if (!gate || gate->off() || !leaves || !gate->counts_as_bulk(headers, leaves->from_domain)) {
        co_return std::nullopt;
    }
    prepared.bulk =
        compliance::BulkCandidate{.envelope = prepared.submission->envelope,
                                  .headers = headers,
                                  .from_domain = leaves->from_domain,
                                  .unsubscribe_added = !prepared.options.added_fields.empty(),
                                  .signing = prepared.options.dkim,
                                  .preflight = *leaves};
    if (!gate->rejects()) co_return std::nullopt;
    auto verdicts = co_await gate->check(*prepared.bulk);
    if (auto refusal = compliance::refusal_text(verdicts)) {
        co_return smtp::Reply(550, "5.7.1", *refusal);
    }
    prepared.bulk_verdicts = std::move(verdicts);
    co_return std::nullopt;
}

asio::awaitable<Verdict> Acceptance::store(const Prepared& prepared) {
    // 6. The spool: durable before anyone is told.
    queue::Intake* intake = services_.intake;
    const Submission& submission = *prepared.submission;
    const queue::IntakeOptions& options = prepared.options;
    auto outcome = co_await intake->accept_from_loop(
        submission.envelope, *submission.text, submission.header_size, options, *services_.pool);
    if (auto* accepted = std::get_if<queue::Accepted>(&outcome)) co_return *accepted;
    const auto& failure = std::get<queue::IntakeFailure>(outcome);
    // A full disk is the operator's to see, not a fault of Herald's: the mainlog says it, and
    // the client hears 452 and tries again later.
    if (failure.disk_full) {
        if (services_.note) services_.note("spool full: " + failure.message);
    } else if (services_.panic) {
        services_.panic("spool", failure.message);
    }
    co_return spool_refusal(failure);
}

asio::awaitable<void> Acceptance::announce(Prepared& prepared, const queue::Accepted& accepted) {
    // 7. Counted, handed to the scheduler, and checked in log mode.
    if (services_.metrics) {
        for (const auto& choice : prepared.options.dkim)
            services_.metrics->dkim_signed(choice.domain);
    }
    if (services_.queued) services_.queued(accepted);
    // The executor first: no co_await in an expression with owning temporaries.
    auto executor = co_await asio::this_coro::executor;
    if (prepared.preflight_later) {
        if (auto slot = pending_check()) {
            asio::co_spawn(executor,
                           log_preflight(*services_.preflight, *services_.resolver,
                                         std::move(*prepared.preflight_later), accepted.id,
                                         services_.message_event, std::move(*slot)),
                           asio::detached);
        }
    }
    if (prepared.bulk && services_.bulk_verdict) {
        // A verdict known already (reject mode) waits on nothing: it takes no place.
        auto slot =
            prepared.bulk_verdicts ? std::optional(PendingChecks::Slot(nullptr)) : pending_check();
        if (slot) {
            asio::co_spawn(executor,
                           log_bulk_verdict(*services_.bulk_gate, std::move(*prepared.bulk),
                                            std::move(prepared.bulk_verdicts), accepted.id,
                                            services_.bulk_verdict, std::move(*slot)),
                           asio::detached);
        }
    }
}

std::optional<PendingChecks::Slot> Acceptance::pending_check() {
    if (services_.pending_checks == nullptr) return PendingChecks::Slot(nullptr);
    return services_.pending_checks->take();
}

asio::awaitable<void> Acceptance::withdraw(const queue::Accepted& accepted) {
    queue::Intake* intake = services_.intake;
    co_await services_.pool->run([intake, &accepted] { intake->withdraw(accepted.id); });
}

std::optional<mailauth::PreflightInput> Acceptance::leaving(
    const Submission& submission, const policy::Policies& policies,
    const std::optional<std::string>& from_domain, const queue::IntakeOptions& options) const {
    if (!from_domain || !relayed(policies.relay, submission.envelope)) return std::nullopt;
    mailauth::PreflightInput input{
        .from_domain = *from_domain,
        .sender = submission.envelope.sender,
        .helo = services_.hostname,
        .ip = services_.sending_ip ? services_.sending_ip(submission.envelope.sender) : ""};
    for (const auto& choice : options.dkim) input.dkim_domains.push_back(choice.domain);
    return input;
}

}  // namespace herald::accept
