// The field and record checks of record_checks.hpp. Every bound comes from ledger/limits.hpp; the UTF-8 rules
// are RFC 3629's (the same the JSON reader enforces), so a name the API accepted always passes here.
#include "ledger/record_checks.hpp"

#include <cstddef>
#include <string>

#include "ledger/limits.hpp"
#include "ledger/utc_time.hpp"

namespace tally {
namespace {

// 0x20..0x7e. One unsigned compare per byte and no early exit, so the loop vectorises: recovery runs it for
// every transaction it replays.
bool printable_ascii(std::string_view text) {
  unsigned bad = 0;
  for (const unsigned char c : text) bad |= static_cast<unsigned char>(c - 0x20) > 0x5e;
  return bad == 0;
}

bool continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Decodes the code point starting at text[i] and advances i past it; false on ill-formed UTF-8.
bool next_code_point(std::string_view text, std::size_t& i, char32_t& out) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  std::size_t length = 0;
  char32_t value = 0, min = 0;
  if (lead < 0x80) {
    out = lead;
    ++i;
    return true;
  } else if ((lead & 0xE0) == 0xC0) {
    length = 2, value = lead & 0x1F, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, value = lead & 0x0F, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, value = lead & 0x07, min = 0x10000;
  } else {
    return false;  // a continuation byte where a code point should start, or 0xF8..0xFF
  }
  if (text.size() - i < length) return false;
  for (std::size_t k = 1; k < length; ++k) {
    if (!continuation(byte(i + k))) return false;
    value = (value << 6) | (byte(i + k) & 0x3F);
  }
  // Overlong forms, UTF-16 surrogates and values past Unicode's end are not UTF-8.
  if (value < min || (value >= 0xD800 && value <= 0xDFFF) || value > 0x10FFFF) return false;
  out = value;
  i += length;
  return true;
}

// Unicode's Cc category: C0, DEL and C1.
bool is_control(char32_t c) { return c < 0x20 || (c >= 0x7F && c <= 0x9F); }

}  // namespace

bool valid_uid(std::string_view uid) {
  return !uid.empty() && uid.size() <= limits::uid_bytes_max && printable_ascii(uid);
}

bool valid_idempotency_key(std::string_view key) {
  return !key.empty() && key.size() <= limits::idempotency_key_bytes_max && printable_ascii(key);
}

bool valid_amount(MinorUnits amount) { return amount >= 1 && amount <= limits::amount_minor_max; }

bool valid_client_name(std::string_view name) {
  if (name.empty() || name.size() > limits::client_name_bytes_max) return false;
  for (const char c : name) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

bool valid_threshold(MinorUnits threshold) { return threshold >= 0 && threshold <= limits::amount_minor_max; }

NameFault check_user_name(std::string_view name) {
  // Bounded before decoding: a longer text cannot hold <= user_name_chars_max code points.
  if (name.empty() || name.size() > limits::user_name_bytes_max) return NameFault::length;
  std::size_t chars = 0;
  bool control = false;
  for (std::size_t i = 0; i < name.size(); ++chars) {
    char32_t c = 0;
    if (!next_code_point(name, i, c)) return NameFault::not_utf8;
    control = control || is_control(c);
  }
  if (chars > limits::user_name_chars_max) return NameFault::length;
  return control ? NameFault::control_chars : NameFault::none;
}

RecordFault check_record(const TransactionApplied& record) {
  if (!valid_uid(record.uid)) return RecordFault::uid;
  if (record.user_id == 0) return RecordFault::user_id;
  if (record.kind != TxKind::deposit && record.kind != TxKind::withdraw) return RecordFault::kind;
  if (!valid_amount(record.amount)) return RecordFault::amount;
  if (!within_utc_limits(record.at)) return RecordFault::instant;
  if (!record.client.empty() && !valid_client_name(record.client)) return RecordFault::client;
  if (record.recorded_at != 0 && !within_utc_limits(record.recorded_at)) return RecordFault::instant;
  return RecordFault::none;
}

RecordFault check_record(const UserUpdated& record) {
  if (record.user_id == 0 || record.user_id >= limits::users_max) return RecordFault::user_id;
  if (!valid_threshold(record.low_balance_threshold)) return RecordFault::threshold;
  if (!within_utc_limits(record.at)) return RecordFault::instant;
  if (!record.client.empty() && !valid_client_name(record.client)) return RecordFault::client;
  return RecordFault::none;
}

RecordFault check_record(const UserCreated& record) {
  if (record.id == 0 || record.id >= limits::users_max) return RecordFault::user_id;
  if (check_user_name(record.name) != NameFault::none) return RecordFault::name;
  if (!record.idempotency_key.empty() && !valid_idempotency_key(record.idempotency_key))
    return RecordFault::idempotency_key;
  if (!within_utc_limits(record.created_at)) return RecordFault::instant;
  if (!record.client.empty() && !valid_client_name(record.client)) return RecordFault::client;
  if (!valid_threshold(record.low_balance_threshold)) return RecordFault::threshold;
  return RecordFault::none;
}

const char* describe(RecordFault fault) {
  // The texts that name a limit are built from it once, on first use.
  static const std::string uid =
      "uid is not 1.." + std::to_string(limits::uid_bytes_max) + " printable ASCII bytes";
  static const std::string instant =
      "instant outside " + format_iso8601(limits::utc_micros_min) + ".." + format_iso8601(limits::utc_micros_max);
  static const std::string name = "name is not 1.." + std::to_string(limits::user_name_chars_max) +
                                  " UTF-8 characters without control characters";
  static const std::string idempotency_key =
      "idempotency key is not 1.." + std::to_string(limits::idempotency_key_bytes_max) + " printable ASCII bytes";
  static const std::string client =
      "client is not 1.." + std::to_string(limits::client_name_bytes_max) + " of A-Z a-z 0-9 . _ -";
  switch (fault) {
    case RecordFault::none: return "valid";
    case RecordFault::user_id: return "user id out of range";
    case RecordFault::uid: return uid.c_str();
    case RecordFault::kind: return "unknown transaction kind";
    case RecordFault::amount: return "amount out of range";
    case RecordFault::instant: return instant.c_str();
    case RecordFault::name: return name.c_str();
    case RecordFault::idempotency_key: return idempotency_key.c_str();
    case RecordFault::client: return client.c_str();
    case RecordFault::threshold: return "low-balance threshold out of range";
  }
  return "unknown fault";
}

}  // namespace tally
