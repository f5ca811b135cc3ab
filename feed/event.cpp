// Event type names: one table, read both ways.
#include "feed/event.hpp"

namespace tally::feed {
namespace {
constexpr const char* names[event_type_count] = {
    "user.created", "user.updated", "transaction.applied", "balance.funds_available", "balance.funds_depleted",
};
}  // namespace

const char* event_type_name(EventType type) { return names[static_cast<int>(type)]; }

TransactionApplied Event::transaction() const {
  const std::size_t cut = text.find('\n');
  TransactionApplied tx;
  tx.uid = text.substr(0, cut);
  tx.user_id = user_id;
  tx.kind = kind;
  tx.amount = amount;
  tx.at = at;
  tx.timestamp_given = timestamp_given;
  if (cut != std::string::npos) tx.client = text.substr(cut + 1);
  return tx;
}

std::string Event::transaction_text(const std::string& uid, const std::string& client) {
  std::string text;
  assign_transaction_text(text, uid, client);
  return text;
}

void Event::assign_transaction_text(std::string& out, std::string_view uid, std::string_view client) {
  out.assign(uid);
  if (client.empty()) return;
  out += '\n';
  out += client;
}

std::optional<EventType> parse_event_type(std::string_view name) {
  for (int k = 0; k < event_type_count; ++k)
    if (name == names[k]) return static_cast<EventType>(k);
  return std::nullopt;
}

}  // namespace tally::feed
