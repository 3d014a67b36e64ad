#include "events/suppression_text.hpp"

namespace herald::events {

namespace {
constexpr std::string_view kPrefix = "suppressed since ";
constexpr std::string_view kSeparator = ": ";
}  // namespace

std::string suppression_text(std::string_view since_day, std::string_view reason) {
    std::string text(kPrefix);
    text += since_day;
    text += kSeparator;
    text += reason;
    return text;
}

std::optional<SuppressionText> parse_suppression_text(std::string_view text) {
    if (!text.starts_with(kPrefix)) return std::nullopt;
    text.remove_prefix(kPrefix.size());
    const auto separator = text.find(kSeparator);
    if (separator == std::string_view::npos) return std::nullopt;
    return SuppressionText{std::string(text.substr(0, separator)),
                           std::string(text.substr(separator + kSeparator.size()))};
}

}  // namespace herald::events
