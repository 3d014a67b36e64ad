#pragma once
// Per sender domain and per UTC day: the messages accepted, the recipients delivered to and
// the complaints (ARF reports) received. The bulk gate (issue 19) reads the day's accepted
// count (a sender over [compliance] daily_volume counts as bulk) and the complaint rate of
// the last 7 days (providers ask < 0.3%). Kept in memory; saved as JSON to a state file
// (base/state_file.hpp: whole file replaced, not synced) and restored at start. Days older
// than 7 are dropped. Thread-safe (a mutex): acceptance, delivery and report intake call it
// from different threads.
//
// In memory: at most kMaxDomains domains, each with at most kDays days (older days are
// dropped when a count comes on a new day). A new domain beyond the bound makes the one with
// the smallest total (accepted + delivered + complaints) over the days held be forgotten:
// a flood of one-off sender domains must not grow the process, and the domains that send
// much, whose complaint rate the providers watch, are the ones kept.
//
// The state file, days as days since the Unix epoch (UTC), counts in that order:
//   {"version":1,"domains":{"example.com":{"20415":[accepted,delivered,complaints], ...}, ...}}
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "base/result.hpp"

namespace herald::compliance {

class SenderVolume {
  public:
    using Clock = std::chrono::system_clock;
    static constexpr int kDays = 7;
    static constexpr std::size_t kMaxDomains = 100'000;
    struct Figures {
        std::uint64_t accepted = 0, delivered = 0, complaints = 0;
    };

    SenderVolume() = default;
    SenderVolume(const SenderVolume& other);
    SenderVolume(SenderVolume&& other);
    SenderVolume& operator=(const SenderVolume& other);
    SenderVolume& operator=(SenderVolume&& other);

    // An empty domain (the null sender's) is not counted, nor a time whose day has already
    // left the window.
    void count_accepted(std::string_view domain, Clock::time_point when);
    void count_delivered(std::string_view domain, Clock::time_point when);
    void count_complaint(std::string_view domain, Clock::time_point when);
    // The messages accepted for `domain` on the UTC day of `now`.
    std::uint64_t accepted_today(std::string_view domain, Clock::time_point now) const;
    // The sums over the 7 UTC days ending with the day of `now` (that day included).
    Figures last_week(std::string_view domain, Clock::time_point now) const;
    // complaints / delivered over last_week; nullopt when nothing was delivered.
    std::optional<double> complaint_rate(std::string_view domain, Clock::time_point now) const;
    // The state as JSON text, and back. from_json refuses (error naming what is wrong) a text
    // that is not this format, has negative/non-integer counts, or day numbers in the future
    // of `now` by more than one day; days older than kDays before now are dropped on load.
    std::string to_json() const;
    static Result<SenderVolume> from_json(std::string_view text, Clock::time_point now);
    // Whether a count came since the last call: the server saves the state file only then,
    // without serialising the whole state to find out.
    bool take_changed();
    // The state file: load (a missing file: empty state; a damaged one: an error), save.
    static Result<SenderVolume> load(const std::filesystem::path& path, Clock::time_point now);
    Status save(const std::filesystem::path& path) const;

  private:
    struct Domain {
        std::map<std::int64_t, Figures> days;  // by day number
        std::uint64_t total = 0;               // of every count in `days`: the eviction order
    };
    struct State {
        std::map<std::string, Domain, std::less<>> domains;  // lower-cased
        // (total, domain): the smallest first, so that the bound costs a lookup, not a scan.
        std::set<std::pair<std::uint64_t, std::string>> by_total;
        // The day the old days were last dropped on; a later one drops them again.
        std::int64_t swept_day = std::numeric_limits<std::int64_t>::min();
        bool changed = false;  // a count since take_changed()

        void count(std::string_view domain, std::int64_t day, std::uint64_t Figures::*field);
        void sweep(std::int64_t today);
        void reindex();
        void keep_bound(std::size_t most);
        Figures sum(std::string_view domain, std::int64_t first_day, std::int64_t last_day) const;
    };

    void count(std::string_view domain, Clock::time_point when, std::uint64_t Figures::*field);
    State copy_state() const;
    State take_state();

    State state_;
    mutable std::mutex mutex_;
};

}  // namespace herald::compliance
