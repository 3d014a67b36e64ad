#pragma once
// The transport that delivers nowhere: every recipient counts as delivered and the message
// is dropped. For test setups and for mail that is wanted only in the logs.
#include <string>

#include "delivery/transport.hpp"

namespace herald::delivery {

class NullTransport final : public Transport {
  public:
    explicit NullTransport(std::string name) : name_(std::move(name)) {}

    std::string_view name() const override { return name_; }
    boost::asio::awaitable<std::vector<RecipientResult>> deliver(const Delivery& delivery) override;

  private:
    std::string name_;
};

}  // namespace herald::delivery
