#pragma once
// Connection admission: a total and a per-client-IP ceiling, so that one client cannot take
// every slot. A Slot releases its place when the connection ends, however it ends.
#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>

namespace herald::net {

class ConnectionLimits {
  public:
    ConnectionLimits(std::size_t max_total, std::size_t max_per_ip)
        : max_total_(max_total), max_per_ip_(max_per_ip) {}

    enum class Refusal { none, total, per_ip };

    class Slot {
      public:
        Slot(ConnectionLimits* owner, std::string ip) : owner_(owner), ip_(std::move(ip)) {}
        Slot(Slot&& other) noexcept : owner_(other.owner_), ip_(std::move(other.ip_)) {
            other.owner_ = nullptr;
        }
        Slot(const Slot&) = delete;
        Slot& operator=(const Slot&) = delete;
        Slot& operator=(Slot&&) = delete;
        ~Slot() {
            if (owner_) owner_->release(ip_);
        }

      private:
        ConnectionLimits* owner_;
        std::string ip_;
    };

    struct Admission {
        std::optional<Slot> slot;  // empty when refused
        Refusal refusal = Refusal::none;
    };

    // Not thread-safe: used from the one thread that accepts connections.
    Admission admit(const std::string& ip);
    std::size_t active() const { return total_; }
    // A reload's new ceilings: connections already admitted stay, new ones count against them.
    void change(std::size_t max_total, std::size_t max_per_ip) {
        max_total_ = max_total;
        max_per_ip_ = max_per_ip;
    }

  private:
    void release(const std::string& ip);

    std::size_t max_total_;
    std::size_t max_per_ip_;
    std::size_t total_ = 0;
    std::unordered_map<std::string, std::size_t> per_ip_;
};

}  // namespace herald::net
