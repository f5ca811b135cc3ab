// Hand-written serialisation: the answers are small and fixed in shape, so a builder would only add allocation.
// Strings are escaped per RFC 8259; non-ASCII UTF-8 passes through as is (the input was validated UTF-8).
#include "rest/response_json.hpp"

#include <charconv>
#include <cstdio>

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

void append_transaction(std::string& out, const TransactionApplied& tx) {
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
