// Restart's shortcut through decode (record_codec.hpp): a TransactionApplied record laid out exactly as this
// build's encoder writes it (one segment, structs and texts in encoding order, sections of the schema's sizes)
// is read straight from its words, without a Cap'n Proto reader. Anything else (another record kind, an older
// or newer layout, damage) is declined and goes through the general decode, which stays the judge: the shortcut
// only accepts what the general path accepts, with the same result (tests/unit/test_wal_codec_fast.cpp checks
// this on every single-bit change of canonical records). KnownContent and check_record judge both paths.
#pragma once

#include <optional>
#include <string_view>

#include "ledger/records.hpp"

namespace tally::wal::detail {

// The transaction when `payload` is a canonical, valid TransactionApplied record; nullopt: not handled here
// (never "refused": the general decode decides).
std::optional<TransactionApplied> decode_canonical_transaction(std::string_view payload);

}  // namespace tally::wal::detail
