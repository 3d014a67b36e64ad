#include "queue/intake.hpp"

#include "log/main_log.hpp"
#include "message/arrival_stamp.hpp"
#include "message/header_block.hpp"
#include "queue/queue_census.hpp"
#include "spool/message_id.hpp"
#include "spool/spool.hpp"

namespace herald::queue {

std::variant<Accepted, IntakeFailure> Intake::accept(const message::Envelope& envelope,
                                                     std::string data,
                                                     const IntakeOptions& options) {
    message::ArrivalStamp stamp;
    stamp.hostname = options.hostname;
    stamp.queue_id = spool::new_message_id();
    stamp.client_reverse_name = options.client_reverse_name;
    stamp.mask_client = options.mask_client;
    stamp.add_missing_ids = options.add_missing_ids;
    stamp.add_missing_from = options.add_missing_from;
    std::string stamped = stamp.apply(data, envelope);
    data.clear();
    data.shrink_to_fit();
    if (!options.dkim.empty()) {
        std::vector<std::string> failures;
        std::string signatures = mailauth::dkim::sign_message(stamped, options.dkim, failures);
        for (const auto& failure : failures) mainlog_.note(stamp.queue_id + " " + failure);
        if (!signatures.empty()) stamped.insert(0, signatures);
    }

    if (auto stored = spool_.store(stamp.queue_id, envelope, stamped); !stored) {
        return IntakeFailure{stored.disk_full(), stored.error()};
    }
    auto headers = message::HeaderBlock::parse(stamped);
    const auto* subject = headers.find("Subject");
    if (census_) census_->place(stamp.queue_id, envelope);
    mainlog_.arrival(stamp.queue_id, envelope, stamped.size(), subject ? subject->value : "");
    if (!options.preflight.empty())
        mainlog_.event(stamp.queue_id, "preflight " + options.preflight);
    return Accepted{stamp.queue_id};
}

}  // namespace herald::queue
