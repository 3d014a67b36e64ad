#include "message/list_id.hpp"

#include "base/trimmed.hpp"

namespace herald::message {

std::string list_id_of(const HeaderBlock& headers) {
    const auto* field = headers.find("List-Id");
    if (!field) return {};
    const std::string& value = field->value;
    const auto open = value.rfind('<');
    const auto close = value.rfind('>');
    if (open != std::string::npos && close != std::string::npos && open < close) {
        return value.substr(open + 1, close - open - 1);
    }
    return std::string(trimmed(value));
}

}  // namespace herald::message
