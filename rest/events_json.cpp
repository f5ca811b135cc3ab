// Event JSON, written directly into a string like every other answer (rest/response_json.hpp): amounts as
// two-decimal strings, times as UTC ISO 8601 with 'Z'.
#include "rest/events_json.hpp"

#include "ledger/money.hpp"
#include "ledger/utc_time.hpp"
#include "rest/response_json.hpp"

namespace tally::rest {
namespace {

void append_amount(std::string& out, const char* key, MinorUnits value) {
  out += ",\"";
  out += key;
  out += "\":\"";
  append_minor_units(out, value);
  out += '"';
}

}  // namespace

void append_event(std::string& out, const feed::Event& event, int shard) {
  out += "{\"seq\":";
  out += std::to_string(event.seq);
  out += ",\"type\":\"";
  out += feed::event_type_name(event.type);
  out += "\",\"time\":\"";
  append_iso8601(out, event.time);
  out += "\",\"shard\":";
  out += std::to_string(shard);
  out += ",\"user_id\":";
  out += std::to_string(event.user_id);
  switch (event.type) {
    case feed::EventType::user_created:
      out += ",\"name\":";
      append_json_string(out, event.text);
      append_amount(out, "low_balance_threshold", event.threshold);
      break;
    case feed::EventType::user_updated:
      append_amount(out, "low_balance_threshold", event.threshold);
      break;
    case feed::EventType::transaction_applied:
      out += ",\"transaction\":";
      append_transaction(out, event.transaction());
      append_amount(out, "balance", event.balance);
      break;
    case feed::EventType::funds_available:
    case feed::EventType::funds_depleted:
      append_amount(out, "balance", event.balance);
      append_amount(out, "threshold", event.threshold);
      out += ",\"uid\":";
      if (event.text.empty()) {
        out += "null";  // the threshold moved, not the balance
      } else {
        append_json_string(out, event.text);
      }
      break;
  }
  out += '}';
}

std::string events_page(const std::vector<feed::Event>& events, std::uint64_t last, int shard) {
  constexpr std::size_t event_bytes_typical = 320;  // a transaction.applied with a 36-character uid: one growth
  std::string out;
  out.reserve(32 + events.size() * event_bytes_typical);
  out += "{\"events\":[";
  for (std::size_t k = 0; k < events.size(); ++k) {
    if (k != 0) out += ',';
    append_event(out, events[k], shard);
  }
  out += "],\"last\":";
  out += std::to_string(last);
  out += '}';
  return out;
}

}  // namespace tally::rest
