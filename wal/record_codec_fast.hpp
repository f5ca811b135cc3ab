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

// The encoder's side of the same layout (wal::encode and RecordGroup::add use it for every transaction; the
// Cap'n Proto builder in encode_unchecked stays the reference, and tests/unit/test_wal_codec_write.cpp compares
// the two byte for byte). The size of the canonical message for `record`, a multiple of 8 bytes...
std::size_t canonical_transaction_bytes(const TransactionApplied& record);
// ...and the message itself, written into `out`: that many bytes, all zero on entry (padding stays zero). Any
// record is laid out; whether it may be logged is check_record's question, asked by the caller.
void encode_canonical_transaction(const TransactionApplied& record, char* out);

}  // namespace tally::wal::detail
