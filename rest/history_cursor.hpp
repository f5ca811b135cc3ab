// The opaque cursor of GET /v1/user/{id}/transactions: a HistoryPosition (ledger/history_page.hpp) and a check,
// in base64url without padding (34 characters, safe in a query string as is). Its 25 bytes: a version (1), the
// position's timestamp (8, little-endian), its skip (8) and a 64-bit mix of all that and the user id (8), so a
// cursor garbled in transit, cut short, or carried over to another user's listing is refused. It is not a
// secret: anyone who knows this format can make a valid cursor, and that only ever names a position.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ledger/history_page.hpp"
#include "ledger/records.hpp"

namespace tally::rest {

std::string encode_history_cursor(UserId user, const HistoryPosition& position);
// The position `text` names for `user`'s listing; nullopt unless it is exactly what encode_history_cursor made
// for that user (and its timestamp is within the timestamp range).
std::optional<HistoryPosition> decode_history_cursor(UserId user, std::string_view text);

}  // namespace tally::rest
