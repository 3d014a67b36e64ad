#pragma once
// Address lists as people and headers write them (RFC 5322 3.4): "a@x, Bob <b@y>",
// quoted display names with commas, comments, groups ("team: a@x, b@y;").
#include <string>
#include <string_view>
#include <vector>

namespace herald::message {

// The addr-spec of each mailbox, without display names, comments or angle brackets; empty
// entries are dropped.
std::vector<std::string> split_address_list(std::string_view list);

}  // namespace herald::message
