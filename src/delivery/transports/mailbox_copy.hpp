#pragma once
// The copy of a message that one local recipient gets.
#include <string>
#include <string_view>

namespace herald::delivery {

// `data` (CRLF, as spooled) with Return-Path (RFC 5321 4.4: added at final delivery) and
// Delivered-To on top, every line ending in LF as maildir and mbox readers expect, and a
// final LF. A CR not followed by LF is kept: it is content, not a line end.
std::string mailbox_copy(std::string_view sender, std::string_view recipient,
                         std::string_view data);

}  // namespace herald::delivery
