#include "accept/signing_decision.hpp"

namespace herald::accept {

Origin origin_of(const policy::RelayPolicy& relay, const message::Envelope& envelope) {
    if (envelope.client_ip.empty()) return Origin::local_user;
    if (!envelope.auth_user.empty()) return Origin::authenticated_user;
    if (relay.is_trusted_client(envelope.client_ip, envelope.auth_user))
        return Origin::trusted_network;
    return Origin::outsider;
}

SigningDecision decide_signing(const policy::RelayPolicy& relay,
                               config::DkimSigning::UnownedFrom unowned_from,
                               const message::Envelope& envelope,
                               const std::optional<std::string>& from_domain) {
    using Verdict = SigningDecision::Verdict;
    switch (origin_of(relay, envelope)) {
        case Origin::local_user:
        case Origin::trusted_network:
            return {Verdict::sign, ""};
        case Origin::outsider:
            return {Verdict::leave_unsigned, "the client is not trusted"};
        case Origin::authenticated_user:
            break;
    }
    if (!from_domain || relay.may_send_as_domain(envelope.auth_user, *from_domain)) {
        return {Verdict::sign, ""};
    }
    const std::string why =
        "From: domain " + *from_domain + " is not one user " + envelope.auth_user + " may send as";
    if (unowned_from == config::DkimSigning::UnownedFrom::relay_unsigned) {
        return {Verdict::leave_unsigned, why};
    }
    return {Verdict::refuse, why};
}

}  // namespace herald::accept
