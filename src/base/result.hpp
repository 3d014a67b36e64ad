#pragma once
// A value or an error message: what a fallible operation returns instead of an out-parameter
// or an exception that could cross the event loop.
#include <string>
#include <utility>
#include <variant>

namespace herald {

struct Error {
    std::string message;
};

template <typename T>
class [[nodiscard]] Result {
  public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error error) : v_(std::move(error)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() { return std::get<0>(v_); }
    const T& value() const { return std::get<0>(v_); }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const std::string& error() const { return std::get<1>(v_).message; }

  private:
    std::variant<T, Error> v_;
};

// For operations with nothing to return but success.
struct Done {};
using Status = Result<Done>;
inline Status ok_status() {
    return Done{};
}

}  // namespace herald
