#pragma once
// Whom Herald signs for (DESIGN.md: a stranger never gets a signature for a domain Herald
// serves). The DKIM key is chosen by the From: domain, so who submitted the message decides
// whether it is signed at all:
//   - a local user (sendmail) and a client of the relay networks: signed;
//   - an authenticated user: signed when its From: domain is one of its sender_domains;
//     otherwise refused with 550 5.7.1, or relayed unsigned ([dkim] unowned_from);
//   - anyone else (an outsider, who may only reach local recipients): never signed, so that a
//     forged "From: ceo@<our domain>" cannot come back signed in a bounce or a mailbox.
// One decision for every way in; the SMTP session and sendmail both ask it.
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "message/envelope.hpp"
#include "policy/relay_policy.hpp"

namespace herald::accept {

enum class Origin { local_user, authenticated_user, trusted_network, outsider };

// Who submitted the message, from its envelope: sendmail leaves no client address.
Origin origin_of(const policy::RelayPolicy& relay, const message::Envelope& envelope);

struct SigningDecision {
    enum class Verdict { sign, leave_unsigned, refuse };
    Verdict verdict = Verdict::leave_unsigned;
    std::string reason;  // for refuse: the reply text; for leave_unsigned: for the log
};

// `from_domain`: the single From: domain (mailauth::dkim::author_domain), nullopt when none.
SigningDecision decide_signing(const policy::RelayPolicy& relay,
                               config::DkimSigning::UnownedFrom unowned_from,
                               const message::Envelope& envelope,
                               const std::optional<std::string>& from_domain);

}  // namespace herald::accept
