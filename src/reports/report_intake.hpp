#pragma once
// What comes back to [bounces] domain (docs/events.md): DSNs to VERP addresses and ARF
// reports to the FBL address, read and turned into events (an asynchronous bounce, a
// deferral, a complaint). Never queued, never delivered to a mailbox. A report whose token
// does not verify is dropped and counted; each report is a mainlog line.
#include <array>
#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/bounce_classifier.hpp"
#include "events/event_hub.hpp"
#include "reports/report_parser.hpp"
#include "reports/verp.hpp"

namespace herald::reports {

enum class ReportKind { dsn, arf };
enum class ReportResult { taken, forged, malformed, ignored };

class ReportIntake {
  public:
    using Note = std::function<void(const std::string& id, const std::string& line)>;
    ReportIntake(Verp verp, std::string fbl_address, const events::BounceClassifier& classifier,
                 const events::EventHub& hub, Note note);

    // For the gate: nullopt when not at the bounce domain; true for a report address; false
    // (and counted as forged) for a VERP address that does not verify.
    std::optional<bool> check_address(std::string_view recipient);
    bool is_report_address(std::string_view recipient) const;

    // One message for `recipients` (report addresses), from `client` (for the log). Blocking
    // only in that it parses; call it on the pool for a large message.
    void take(std::string_view message, const std::vector<std::string>& recipients,
              std::string_view client);

    std::uint64_t count(ReportKind kind, ReportResult result) const {
        return counts_[index(kind, result)];
    }
    const Verp& verp() const { return verp_; }

  private:
    static std::size_t index(ReportKind kind, ReportResult result) {
        return static_cast<std::size_t>(kind) * 4 + static_cast<std::size_t>(result);
    }
    void counted(ReportKind kind, ReportResult result) { ++counts_[index(kind, result)]; }
    void take_dsn(const Report& report, const Verp::Token& token, std::string_view client);
    void take_feedback(const Report& report, std::optional<Verp::Token> token,
                       std::string_view client);
    std::optional<Verp::Token> token_in(std::string_view headers) const;

    Verp verp_;
    std::string fbl_address_;
    const events::BounceClassifier& classifier_;
    const events::EventHub& hub_;
    Note note_;
    std::array<std::atomic<std::uint64_t>, 8> counts_{};
};

std::string_view kind_name(ReportKind kind);
std::string_view result_name(ReportResult result);

}  // namespace herald::reports
