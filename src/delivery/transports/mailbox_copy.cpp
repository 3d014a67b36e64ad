#include "delivery/transports/mailbox_copy.hpp"

namespace herald::delivery {

namespace {

// An address cannot hold controls, but a header built from one must not be split by them.
void append_header_value(std::string& out, std::string_view value) {
    for (char c : value) {
        auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u != 0x7f) out += c;
    }
}

}  // namespace

std::string mailbox_copy(std::string_view sender, std::string_view recipient,
                         std::string_view data) {
    std::string out;
    out.reserve(data.size() + sender.size() + recipient.size() + 64);
    out += "Return-Path: <";
    append_header_value(out, sender);
    out += ">\nDelivered-To: ";
    append_header_value(out, recipient);
    out += '\n';
    for (std::size_t i = 0; i < data.size(); ++i) {
        if (data[i] == '\r' && i + 1 < data.size() && data[i + 1] == '\n') continue;
        out += data[i];
    }
    if (out.back() != '\n') out += '\n';
    return out;
}

}  // namespace herald::delivery
