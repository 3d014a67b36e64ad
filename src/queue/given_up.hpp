#pragma once
// The report of a recipient Herald gives up on without a final reply from its receiver: the
// message expired ([queue] max_age) or the administrator bounced it. The sender still needs
// the last error and the host that gave it (RFC 3464 Diagnostic-Code, Remote-MTA): the
// recipient's last deferral, as the schedule kept it.
#include <string>

#include "message/delivery_report.hpp"
#include "spool/schedule.hpp"

namespace herald::queue {

enum class GiveUp { expired, administrator };

// The reason as the mainlog's "**" line gives it, with its RFC 3463 code.
std::string give_up_reason(GiveUp why);

// `saved`: the message's schedule, or null when it has none.
message::ReportedRecipient given_up(std::string address, GiveUp why, const spool::Schedule* saved);

}  // namespace herald::queue
