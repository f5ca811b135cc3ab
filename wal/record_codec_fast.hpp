// Restart's shortcut through decode (record_codec.hpp): a TransactionApplied or UserCreated record laid out exactly
// as this build's encoder writes it (one segment, structs and texts in encoding order, sections of the schema's sizes)
// is read straight from its words, without a Cap'n Proto reader. Anything else (another record kind, an older
// or newer layout, damage) is declined and goes through the general decode, which stays the judge: the shortcut
// only accepts what the general path accepts, with the same result (tests/unit/test_wal_codec_fast.cpp checks
// this on every single-bit change of canonical records). KnownContent and check_record judge both paths.
#pragma once

#include <string_view>

#include "ledger/records.hpp"

namespace tally::wal::detail {

// True with `out` filled when `payload` is a canonical, valid TransactionApplied record; false: not handled here
// (never "refused": the general decode decides), `out` then holds anything. Filled in place: restart decodes ten
// million of them, and each move of the record costs its two strings.
bool decode_canonical_transaction(std::string_view payload, TransactionApplied& out);
// The same for a canonical, valid UserCreated record (a tenth of a generated log; the general decode costs
// about four transactions' shortcut each).
bool decode_canonical_user(std::string_view payload, UserCreated& out);

}  // namespace tally::wal::detail
