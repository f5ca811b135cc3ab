// Hand-written serialisation: the answers are small and fixed in shape, so a builder would only add allocation.
// Strings are escaped per RFC 8259; non-ASCII UTF-8 passes through as is (the input was validated UTF-8).
#include "rest/response_json.hpp"

#include <charconv>
#include <cstdio>
#include <cstring>

#include "ledger/limits.hpp"
#include "ledger/money.hpp"
#include "ledger/utc_time.hpp"

namespace tally::rest {

namespace {
bool needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\' || c == 0x7f; }

void append_escaped(std::string& out, unsigned char c) {
  switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    default: {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
      out += buffer;
    }
  }
}
}  // namespace

// Runs of characters that need no escape are appended whole (a uid or a name usually is one run), not one
// character at a time: a batch renders a uid and a client name per item on the WAL thread.
void append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  std::size_t run = 0;  // start of the characters not yet appended
  for (std::size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (!needs_escape(c)) continue;
    out.append(text.data() + run, i - run);
    append_escaped(out, c);
    run = i + 1;
  }
  out.append(text.data() + run, text.size() - run);
  out.push_back('"');
}

namespace {
// Copies a JSON string's contents that need no escape (a uid, a client name: nearly always) at `at`; false, and
// nothing meaningful written, at the first byte that needs one.
bool put_plain_json_chars(char*& at, std::string_view text) {
  char* out = at;
  for (const char c : text) {
    if (needs_escape(static_cast<unsigned char>(c))) return false;
    *out++ = c;
  }
  at = out;
  return true;
}

void put(char*& at, std::string_view text) {
  std::memcpy(at, text.data(), text.size());
  at += text.size();
}

// The longest transaction rendered on the stack: the fixed text (98 bytes with a 20-digit user id), a uid and a
// client name of their limits, an amount and a timestamp of their longest; anything longer takes the general path.
constexpr std::size_t transaction_text_bytes_max = 512;

// The usual transaction (no byte of its strings needs an escape) written into a stack buffer and appended once;
// false (out unchanged) otherwise. Byte-identical to the general path (tests/unit/test_routes.cpp).
bool append_plain_transaction(std::string& out, const TransactionApplied& tx) {
  static_assert(limits::uid_bytes_max + limits::client_name_bytes_max + minor_units_chars_max + iso8601_chars_max +
                        100 <= transaction_text_bytes_max,
                "a transaction's longest plain text fits the stack buffer");
  if (tx.uid.size() > limits::uid_bytes_max || tx.client.size() > limits::client_name_bytes_max) return false;
  char text[transaction_text_bytes_max];
  char* at = text;
  put(at, "{\"uid\":\"");
  if (!put_plain_json_chars(at, tx.uid)) return false;
  put(at, "\",\"user_id\":");
  at = std::to_chars(at, at + 24, tx.user_id).ptr;
  put(at, ",\"type\":\"");
  put(at, to_string(tx.kind));
  put(at, "\",\"amount\":\"");
  at = put_minor_units(at, tx.amount);
  put(at, "\",\"timestamp\":\"");
  at = put_iso8601(at, tx.at);
  put(at, "\",\"client\":\"");
  if (!put_plain_json_chars(at, tx.client)) return false;
  put(at, "\"}");
  out.append(text, static_cast<std::size_t>(at - text));  // one append: the item's whole text
  return true;
}
}  // namespace

void append_transaction(std::string& out, const TransactionApplied& tx) {
  if (append_plain_transaction(out, tx)) return;
  out += "{\"uid\":";
  append_json_string(out, tx.uid);
  char id[24];
  out += ",\"user_id\":";
  out.append(id, static_cast<std::size_t>(std::to_chars(id, id + sizeof id, tx.user_id).ptr - id));
  out += ",\"type\":\"";
  out += to_string(tx.kind);
  out += "\",\"amount\":\"";
  append_minor_units(out, tx.amount);
  out += "\",\"timestamp\":\"";
  append_iso8601(out, tx.at);
  out += "\",\"client\":";
  append_json_string(out, tx.client);
  out += '}';
}

void append_user(std::string& out, const UserView& user) {
  out += "{\"id\":";
  out += std::to_string(user.id);
  out += ",\"name\":";
  append_json_string(out, user.name);
  out += ",\"balance\":\"";
  append_minor_units(out, user.balance);
  out += "\",\"low_balance_threshold\":\"";
  append_minor_units(out, user.low_balance_threshold);
  out += "\",\"client\":";
  append_json_string(out, user.client);
  out += '}';
}

void append_balance(std::string& out, UserId user_id, MinorUnits balance, std::optional<UtcMicros> date) {
  out += "{\"user_id\":";
  out += std::to_string(user_id);
  out += ",\"balance\":\"";
  append_minor_units(out, balance);
  out += '"';
  if (date) {
    out += ",\"date\":\"";
    append_iso8601(out, *date);
    out += '"';
  }
  out += '}';
}

void append_error(std::string& out, const ApiError& error, std::string_view existing_json) {
  out += "{\"error\":{\"code\":";
  append_json_string(out, error.code);
  out += ",\"message\":";
  append_json_string(out, error.message);
  out += '}';
  if (!existing_json.empty()) {
    out += ",\"existing\":";
    out += existing_json;
  }
  out += '}';
}

}  // namespace tally::rest
