// One change-feed event (docs/notifications.md): what a durable fact means to other services. Plain values,
// derived from WAL records (feed/funds_rule.hpp) and numbered by the feed log (feed/feed_log.hpp); the JSON
// the API shows is rest/events_json.cpp's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/records.hpp"

namespace tally::feed {

enum class EventType : std::uint8_t {
  user_created,
  user_updated,
  transaction_applied,
  funds_available,
  funds_depleted,
};
inline constexpr int event_type_count = 5;

// "user.created", "balance.funds_depleted", ...: the names the API shows and filters by.
const char* event_type_name(EventType type);
std::optional<EventType> parse_event_type(std::string_view name);

// Compact (about 100 bytes and one string), since the feed keeps up to a million of them in memory.
struct Event {
  std::uint64_t seq = 0;  // per shard, from 1, +1 each; set by FeedLog::append
  UtcMicros time = 0;     // when the fact was accepted, non-decreasing in seq; FeedLog::append settles it
  UserId user_id = 0;
  MinorUnits balance = 0;    // transaction.applied and funds events: the user's current balance right after
  MinorUnits threshold = 0;  // user.created, user.updated and funds events: the low-balance threshold
  // user.created: the name. transaction.applied: the uid, then (when it has one) a '\n' and the API client that
  // made it (auth; neither a uid nor a client name holds a '\n': one string keeps the event compact). Funds events:
  // the uid of the transaction that crossed the line ("" = a threshold change did).
  std::string text;
  // transaction.applied: the rest of the stored record (uid in `text`, user in user_id).
  MinorUnits amount = 0;
  UtcMicros at = 0;
  TxKind kind = TxKind::deposit;
  bool timestamp_given = false;
  EventType type = EventType::user_created;

  // transaction.applied: the stored transaction, as the API shows it (its client included).
  TransactionApplied transaction() const;
  // transaction.applied: `text` made of the uid and the client ("" = none).
  static std::string transaction_text(const std::string& uid, const std::string& client);
  // The same into `out`, reusing its capacity.
  static void assign_transaction_text(std::string& out, std::string_view uid, std::string_view client);
};

}  // namespace tally::feed
