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
  TransactionApplied tx{text, user_id, kind, amount, at, timestamp_given};
  return tx;
}

std::optional<EventType> parse_event_type(std::string_view name) {
  for (int k = 0; k < event_type_count; ++k)
    if (name == names[k]) return static_cast<EventType>(k);
  return std::nullopt;
}

}  // namespace tally::feed
