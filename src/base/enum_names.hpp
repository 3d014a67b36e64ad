#pragma once
// An enumeration whose values are 0..N-1 and whose names stand in an array in the same order
// (event types, bounce categories): the value a name stands for.
#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace herald {

template <typename E, std::size_t N>
constexpr std::optional<E> enum_named(const std::array<std::string_view, N>& names,
                                      std::string_view name) {
    for (std::size_t i = 0; i < N; ++i) {
        if (names[i] == name) return static_cast<E>(i);
    }
    return std::nullopt;
}

}  // namespace herald
