#include "compliance/sender_volume.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <charconv>
#include <system_error>

#include "base/ascii_case.hpp"
#include "base/state_file.hpp"

namespace herald::compliance {

namespace json = boost::json;
using Clock = SenderVolume::Clock;
using Figures = SenderVolume::Figures;

namespace {

constexpr std::int64_t kVersion = 1;

std::int64_t day_of(Clock::time_point t) {
    return std::chrono::floor<std::chrono::days>(t.time_since_epoch()).count();
}

// The first day of the week that ends with `today`.
std::int64_t first_day_of_week(std::int64_t today) {
    return today - (SenderVolume::kDays - 1);
}

std::uint64_t total_of(const Figures& f) {
    return f.accepted + f.delivered + f.complaints;
}

void add(Figures& to, const Figures& more) {
    to.accepted += more.accepted;
    to.delivered += more.delivered;
    to.complaints += more.complaints;
}

std::optional<std::int64_t> day_number(std::string_view text) {
    std::int64_t day = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), day);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return {};
    return day;
}

std::optional<std::uint64_t> count_of(const json::value& v) {
    if (v.is_uint64()) return v.get_uint64();
    if (v.is_int64() && v.get_int64() >= 0) return static_cast<std::uint64_t>(v.get_int64());
    return std::nullopt;
}

std::optional<Figures> figures_of(const json::value& v) {
    const json::array* counts = v.if_array();
    if (counts == nullptr || counts->size() != 3) return std::nullopt;
    const auto accepted = count_of((*counts)[0]);
    const auto delivered = count_of((*counts)[1]);
    const auto complaints = count_of((*counts)[2]);
    if (!accepted || !delivered || !complaints) return std::nullopt;
    return Figures{*accepted, *delivered, *complaints};
}

json::object days_json(const std::map<std::int64_t, Figures>& days) {
    json::object out;
    for (const auto& [day, f] : days) {
        out[std::to_string(day)] = json::array{f.accepted, f.delivered, f.complaints};
    }
    return out;
}

}  // namespace

// Copies and moves take the other's lock alone, then this one's: never two at once, so two
// assignments crossing each other cannot deadlock.
SenderVolume::SenderVolume(const SenderVolume& other) : state_(other.copy_state()) {}

SenderVolume::SenderVolume(SenderVolume&& other) : state_(other.take_state()) {}

SenderVolume& SenderVolume::operator=(const SenderVolume& other) {
    if (this == &other) return *this;
    State copy = other.copy_state();
    std::lock_guard lock(mutex_);
    state_ = std::move(copy);
    return *this;
}

SenderVolume& SenderVolume::operator=(SenderVolume&& other) {
    if (this == &other) return *this;
    State taken = other.take_state();
    std::lock_guard lock(mutex_);
    state_ = std::move(taken);
    return *this;
}

SenderVolume::State SenderVolume::copy_state() const {
    std::lock_guard lock(mutex_);
    return state_;
}

SenderVolume::State SenderVolume::take_state() {
    std::lock_guard lock(mutex_);
    return std::exchange(state_, State{});
}

void SenderVolume::count_accepted(std::string_view domain, Clock::time_point when) {
    count(domain, when, &Figures::accepted);
}

void SenderVolume::count_delivered(std::string_view domain, Clock::time_point when) {
    count(domain, when, &Figures::delivered);
}

void SenderVolume::count_complaint(std::string_view domain, Clock::time_point when) {
    count(domain, when, &Figures::complaints);
}

void SenderVolume::count(std::string_view domain, Clock::time_point when,
                         std::uint64_t Figures::*field) {
    if (domain.empty()) return;
    const std::int64_t day = day_of(when);
    std::lock_guard lock(mutex_);
    if (day > state_.swept_day) state_.sweep(day);
    // A count dated before the window (a clock stepped back, a late report) would only be
    // dropped again at the next sweep.
    if (day < first_day_of_week(state_.swept_day)) return;
    state_.count(ascii_lowercase(domain), day, field);
    state_.changed = true;
}

bool SenderVolume::take_changed() {
    std::lock_guard lock(mutex_);
    return std::exchange(state_.changed, false);
}

void SenderVolume::State::count(std::string_view domain, std::int64_t day,
                                std::uint64_t Figures::*field) {
    auto it = domains.find(domain);
    if (it == domains.end()) {
        keep_bound(kMaxDomains - 1);
        it = domains.emplace(std::string(domain), Domain{}).first;
    } else {
        by_total.erase({it->second.total, it->first});
    }
    Domain& d = it->second;
    ++(d.days[day].*field);
    ++d.total;
    by_total.emplace(d.total, it->first);
}

// Once a day (the first count of a new day), every domain: O(n log n) at most once a day,
// where dropping old days count by count would leave the quiet domains' old days behind.
void SenderVolume::State::sweep(std::int64_t today) {
    const std::int64_t first = first_day_of_week(today);
    for (auto& [name, d] : domains) {
        d.days.erase(d.days.begin(), d.days.lower_bound(first));
    }
    std::erase_if(domains, [](const auto& entry) { return entry.second.days.empty(); });
    reindex();
    swept_day = today;
}

void SenderVolume::State::reindex() {
    by_total.clear();
    for (auto& [name, d] : domains) {
        d.total = 0;
        for (const auto& [day, f] : d.days) d.total += total_of(f);
        by_total.emplace(d.total, name);
    }
}

// The domains with the smallest totals go first: one-off senders before the ones that
// providers judge by their complaint rate.
void SenderVolume::State::keep_bound(std::size_t most) {
    while (domains.size() > most && !by_total.empty()) {
        domains.erase(by_total.begin()->second);
        by_total.erase(by_total.begin());
    }
}

Figures SenderVolume::State::sum(std::string_view domain, std::int64_t first_day,
                                 std::int64_t last_day) const {
    Figures out;
    const auto it = domains.find(domain);
    if (it == domains.end()) return out;
    const auto& days = it->second.days;
    for (auto d = days.lower_bound(first_day); d != days.end() && d->first <= last_day; ++d) {
        add(out, d->second);
    }
    return out;
}

std::uint64_t SenderVolume::accepted_today(std::string_view domain, Clock::time_point now) const {
    const std::int64_t today = day_of(now);
    const std::string key = ascii_lowercase(domain);
    std::lock_guard lock(mutex_);
    return state_.sum(key, today, today).accepted;
}

Figures SenderVolume::last_week(std::string_view domain, Clock::time_point now) const {
    const std::int64_t today = day_of(now);
    const std::string key = ascii_lowercase(domain);
    std::lock_guard lock(mutex_);
    return state_.sum(key, first_day_of_week(today), today);
}

std::optional<double> SenderVolume::complaint_rate(std::string_view domain,
                                                   Clock::time_point now) const {
    const Figures week = last_week(domain, now);
    if (week.delivered == 0) return std::nullopt;
    return static_cast<double>(week.complaints) / static_cast<double>(week.delivered);
}

std::string SenderVolume::to_json() const {
    json::object domains;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [name, d] : state_.domains) domains[name] = days_json(d.days);
    }
    return json::serialize(json::object{{"version", kVersion}, {"domains", std::move(domains)}}) +
           "\n";
}

Result<SenderVolume> SenderVolume::from_json(std::string_view text, Clock::time_point now) {
    boost::system::error_code ec;
    const json::value doc = json::parse(text, ec);
    if (ec) return Error{"not JSON: " + ec.message()};
    const json::object* root = doc.if_object();
    const json::value* version = root != nullptr ? root->if_contains("version") : nullptr;
    if (version == nullptr || !version->is_int64() || version->get_int64() != kVersion) {
        return Error{"not a sender volume state file of version 1"};
    }
    const json::value* listed = root->if_contains("domains");
    if (listed == nullptr || !listed->is_object()) return Error{"\"domains\" is not an object"};

    const std::int64_t today = day_of(now);
    SenderVolume volume;
    State& state = volume.state_;
    for (const auto& [name, days] : listed->get_object()) {
        const std::string domain(name);
        if (domain.empty()) return Error{"an empty domain name"};
        if (!days.is_object()) return Error{"domain " + domain + ": not an object of days"};
        for (const auto& [day_text, counts] : days.get_object()) {
            const std::string where = "domain " + domain + ", day " + std::string(day_text);
            const auto day = day_number(day_text);
            if (!day) return Error{where + ": not a day number"};
            // One day ahead is a clock a little off at midnight; more is not our file.
            if (*day > today + 1) return Error{where + ": in the future"};
            const auto figures = figures_of(counts);
            if (!figures) return Error{where + ": not three non-negative integer counts"};
            if (*day < first_day_of_week(today)) continue;
            // Domains that differ only in case are one domain.
            add(state.domains[ascii_lowercase(domain)].days[*day], *figures);
        }
    }
    std::erase_if(state.domains, [](const auto& entry) { return entry.second.days.empty(); });
    state.reindex();
    state.keep_bound(kMaxDomains);
    state.swept_day = today;
    return volume;
}

Result<SenderVolume> SenderVolume::load(const std::filesystem::path& path, Clock::time_point now) {
    const auto text = read_state_file(path);
    if (!text) {
        // The first start has no file yet; one that exists but cannot be read would lose
        // the week's counts unnoticed if taken for an empty state.
        std::error_code ec;
        if (!std::filesystem::exists(path, ec) && !ec) return SenderVolume{};
        return Error{"cannot read " + path.string()};
    }
    auto volume = from_json(*text, now);
    if (!volume) return Error{path.string() + ": " + volume.error()};
    return volume;
}

Status SenderVolume::save(const std::filesystem::path& path) const {
    return replace_file(path, to_json());
}

}  // namespace herald::compliance
