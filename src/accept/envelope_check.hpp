#pragma once
// Steps 1 and 2 of acceptance.hpp for the ways in that give a whole envelope at once
// (`herald sendmail`, the API): every address in canonical form, then the sender and each
// recipient put to the same SessionGate an SMTP session asks at MAIL and RCPT, so that each
// gets the verdict it would get over SMTP. Aliases and <postmaster> are expanded as at RCPT.
#include <optional>
#include <string>
#include <vector>

#include "message/envelope.hpp"
#include "policy/session_gate.hpp"
#include "smtp/reply.hpp"
#include "smtp/session_policy.hpp"

namespace herald::accept {

struct EnvelopeRefusal {
    std::string address;  // as given: the sender or the recipient refused
    bool is_sender = false;
    smtp::Reply reply;
};

// `sender` and `recipients` as given (a recipient without '@' is a local user of
// `hostname`, as sendmail(1) takes it). On success, `envelope` holds their canonical forms,
// recipients expanded and without duplicates.
std::optional<EnvelopeRefusal> check_envelope(policy::SessionGate& gate,
                                              const smtp::SessionView& view,
                                              const std::string& sender,
                                              const std::vector<std::string>& recipients,
                                              const std::string& hostname,
                                              message::Envelope& envelope);

}  // namespace herald::accept
