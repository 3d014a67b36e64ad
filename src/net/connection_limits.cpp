#include "net/connection_limits.hpp"

namespace herald::net {

ConnectionLimits::Admission ConnectionLimits::admit(const std::string& ip) {
    if (total_ >= max_total_) return {std::nullopt, Refusal::total};
    std::size_t& count = per_ip_[ip];
    if (count >= max_per_ip_) return {std::nullopt, Refusal::per_ip};
    ++count;
    ++total_;
    return {Slot(this, ip), Refusal::none};
}

void ConnectionLimits::release(const std::string& ip) {
    auto it = per_ip_.find(ip);
    if (it == per_ip_.end()) return;
    --total_;
    if (--it->second == 0) per_ip_.erase(it);
}

}  // namespace herald::net
