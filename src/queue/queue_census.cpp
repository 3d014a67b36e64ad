#include "queue/queue_census.hpp"

#include <algorithm>

#include "spool/spool.hpp"

namespace herald::queue {

namespace {

constexpr std::string_view kNoTransport = "none";

std::int64_t second_of(QueueCensus::Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

template <typename Index>
void add_once(boost::container::small_vector<Index, 2>& seen, Index index) {
    if (std::find(seen.begin(), seen.end(), index) == seen.end()) seen.push_back(index);
}

}  // namespace

void QueueCensus::place(const spool::SpooledMessage& message) {
    std::vector<std::string_view> pending;
    for (const auto& r : message.recipients) {
        if (r.state == spool::RecipientState::pending) pending.push_back(r.address);
    }
    std::lock_guard lock(mutex_);
    place(message.id, message.envelope.arrival, shares_of(message.envelope.sender, pending));
}

void QueueCensus::place(std::string_view id, const message::Envelope& envelope) {
    const std::vector<std::string_view> pending(envelope.recipients.begin(),
                                                envelope.recipients.end());
    std::lock_guard lock(mutex_);
    place(id, envelope.arrival, shares_of(envelope.sender, pending));
}

void QueueCensus::place(std::string_view id, Clock::time_point arrival, Shares shares) {
    auto [it, added] = messages_.try_emplace(key_of(id));
    if (!added) count(it->second, -1);
    it->second = Entry{arrival, std::move(shares)};
    count(it->second, +1);
}

void QueueCensus::remove(std::string_view id) {
    std::lock_guard lock(mutex_);
    auto it = messages_.find(key_of(id));
    if (it == messages_.end()) return;
    count(it->second, -1);
    messages_.erase(it);
}

QueueCensus::Shares QueueCensus::shares_of(std::string_view sender,
                                           const std::vector<std::string_view>& pending) {
    Shares shares;
    for (auto recipient : pending) {
        const auto* transport = router_.transport_for(sender, recipient);
        const Share share{transport_index(transport ? transport->name() : kNoTransport),
                          destination_index(recipient), 1};
        auto same = std::find_if(shares.begin(), shares.end(), [&share](const Share& s) {
            return s.transport == share.transport && s.destination == share.destination;
        });
        if (same == shares.end()) {
            shares.push_back(share);
        } else {
            ++same->recipients;
        }
    }
    return shares;
}

std::uint16_t QueueCensus::transport_index(std::string_view name) {
    auto it = std::find(transport_names_.begin(), transport_names_.end(), name);
    if (it != transport_names_.end()) {
        return static_cast<std::uint16_t>(it - transport_names_.begin());
    }
    transport_names_.emplace_back(name);
    transports_.emplace_back();
    return static_cast<std::uint16_t>(transport_names_.size() - 1);
}

std::uint16_t QueueCensus::destination_index(std::string_view recipient) {
    std::string domain = capped_destination_label(recipient, destination_indexes_);
    const auto index = static_cast<std::uint16_t>(destination_names_.size());
    auto [it, added] = destination_indexes_.try_emplace(domain, index);
    if (!added) return it->second;
    destination_names_.push_back(std::move(domain));
    destinations_.emplace_back();
    return index;
}

void QueueCensus::count(const Entry& entry, int sign) {
    const auto second = second_of(entry.arrival);
    auto tally = [sign, second](Tally& t, std::size_t recipients) {
        if (sign > 0) {
            ++t.messages;
            t.recipients += recipients;
            ++t.arrivals[second];
            return;
        }
        --t.messages;
        t.recipients -= recipients;
        if (auto it = t.arrivals.find(second); it != t.arrivals.end() && --it->second == 0) {
            t.arrivals.erase(it);
        }
    };
    std::size_t recipients = 0;
    boost::container::small_vector<std::uint16_t, 2> transports;
    boost::container::small_vector<std::uint16_t, 2> destinations;
    for (const auto& share : entry.shares) {
        recipients += share.recipients;
        add_once(transports, share.transport);
        add_once(destinations, share.destination);
    }
    tally(total_, recipients);
    auto recipients_in = [&entry](auto Share::*field, std::uint16_t index) {
        std::size_t n = 0;
        for (const auto& share : entry.shares) {
            if (share.*field == index) n += share.recipients;
        }
        return n;
    };
    for (auto t : transports) tally(transports_[t], recipients_in(&Share::transport, t));
    for (auto d : destinations) tally(destinations_[d], recipients_in(&Share::destination, d));
}

QueueCensusSnapshot QueueCensus::snapshot(Clock::time_point now) const {
    auto gauge = [now_second = second_of(now)](const Tally& t) {
        QueueGauge g{.messages = t.messages, .recipients = t.recipients};
        if (!t.arrivals.empty()) {
            g.oldest_age = std::chrono::seconds(
                std::max<std::int64_t>(0, now_second - t.arrivals.begin()->first));
        }
        return g;
    };
    std::lock_guard lock(mutex_);
    QueueCensusSnapshot out{.total = gauge(total_)};
    for (std::size_t i = 0; i < transports_.size(); ++i) {
        out.transports.emplace(transport_names_[i], gauge(transports_[i]));
    }
    for (std::size_t i = 0; i < destinations_.size(); ++i) {
        out.destinations.emplace(destination_names_[i], gauge(destinations_[i]));
    }
    return out;
}

}  // namespace herald::queue
