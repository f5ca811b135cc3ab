// Shared by every fuzz target: FUZZ_CHECK (an always-on invariant that aborts, which libFuzzer reports as a
// finding with the input saved), record comparison, and the round-trip property every accepted record must have.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "ledger/record_checks.hpp"
#include "wal/record_codec.hpp"

#define FUZZ_CHECK(condition, what)                                                              \
  do {                                                                                           \
    if (!(condition)) ::tally::fuzz::fail(__FILE__, __LINE__, #condition, (what));               \
  } while (0)

namespace tally::fuzz {

[[noreturn]] inline void fail(const char* file, int line, const char* condition, const std::string& what) {
  std::fprintf(stderr, "\nFUZZ_CHECK failed at %s:%d: %s\n  %s\n", file, line, condition, what.c_str());
  std::abort();
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

inline bool same(const TransactionApplied& a, const TransactionApplied& b) {
  return a.uid == b.uid && a.user_id == b.user_id && a.kind == b.kind && a.amount == b.amount && a.at == b.at &&
         a.timestamp_given == b.timestamp_given && a.client == b.client && a.recorded_at == b.recorded_at;
}
inline bool same(const UserCreated& a, const UserCreated& b) {
  return a.id == b.id && a.name == b.name && a.idempotency_key == b.idempotency_key && a.created_at == b.created_at &&
         a.client == b.client && a.low_balance_threshold == b.low_balance_threshold;
}
inline bool same(const UserUpdated& a, const UserUpdated& b) {
  return a.user_id == b.user_id && a.low_balance_threshold == b.low_balance_threshold && a.at == b.at &&
         a.client == b.client;
}
inline bool same(const wal::Record& a, const wal::Record& b) {
  if (a.index() != b.index()) return false;
  if (const auto* tx = std::get_if<TransactionApplied>(&a)) return same(*tx, std::get<TransactionApplied>(b));
  if (const auto* r = std::get_if<UidReservation>(&a)) {
    return r->released == std::get<UidReservation>(b).released && same(r->tx, std::get<UidReservation>(b).tx);
  }
  if (const auto* u = std::get_if<UserUpdated>(&a)) return same(*u, std::get<UserUpdated>(b));
  return same(std::get<UserCreated>(a), std::get<UserCreated>(b));
}

// A record the system holds (accepted by the API or read from disk): valid by the shared predicate, encoded
// without refusal, decoded back to itself, and re-encoded to the very same bytes. Returns the bytes.
inline std::string check_round_trip(const wal::Record& record) {
  const RecordFault fault = std::visit([](const auto& r) { return check_record(r); }, record);
  FUZZ_CHECK(fault == RecordFault::none, describe(fault));
  const std::optional<std::string> bytes = std::visit([](const auto& r) { return wal::encode(r); }, record);
  FUZZ_CHECK(bytes.has_value(), "the WAL encoder refused a valid record");
  const std::optional<wal::Record> decoded = wal::decode(*bytes);
  FUZZ_CHECK(decoded.has_value(), "the WAL decoder refused what the encoder wrote");
  FUZZ_CHECK(same(*decoded, record), "the decoded record differs from the encoded one");
  const std::optional<std::string> again = std::visit([](const auto& r) { return wal::encode(r); }, *decoded);
  FUZZ_CHECK(again == bytes, "encoding is not deterministic");
  return *bytes;
}

}  // namespace tally::fuzz
