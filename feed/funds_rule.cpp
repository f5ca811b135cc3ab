// derive_events: one event per record, plus a funds event when the record moves its user across the line; in
// two steps (record_event, then settle_events with the user's state), so recovery can split them.
#include "feed/funds_rule.hpp"

#include "ledger/assert.hpp"

namespace tally::feed {
namespace {

// The funds event for a move from `was_above` to the state's current side, if it is a crossing.
void add_crossing(bool was_above, const FundsState& state, UserId user, UtcMicros time, const std::string& uid,
                  std::vector<Event>& out) {
  if (was_above == state.above()) return;
  Event event;
  event.type = state.above() ? EventType::funds_available : EventType::funds_depleted;
  event.time = time;
  event.user_id = user;
  event.balance = state.balance;
  event.threshold = state.threshold;
  event.text = uid;
  out.push_back(std::move(event));
}

}  // namespace

Event record_event(const UserCreated& user) {
  Event event;
  event.type = EventType::user_created;
  event.time = user.created_at;
  event.user_id = user.id;
  event.threshold = user.low_balance_threshold;
  event.text = user.name;
  return event;
}

Event record_event(const UserUpdated& update) {
  Event event;
  event.type = EventType::user_updated;
  event.time = update.at;
  event.user_id = update.user_id;
  event.threshold = update.low_balance_threshold;
  return event;
}

Event record_event(const TransactionApplied& tx) {
  Event event;
  event.type = EventType::transaction_applied;
  // Records of older builds carry no acceptance time: their timestamp is the closest there is.
  event.time = tx.recorded_at != 0 ? tx.recorded_at : tx.at;
  event.user_id = tx.user_id;
  event.text = Event::transaction_text(tx.uid, tx.client);
  event.amount = tx.amount;
  event.at = tx.at;
  event.kind = tx.kind;
  event.timestamp_given = tx.timestamp_given;
  return event;
}

void settle_events(Event event, FundsState& state, std::vector<Event>& out) {
  const bool was_above = state.above();
  const UserId user = event.user_id;
  const UtcMicros time = event.time;
  std::string crossing_uid;
  switch (event.type) {
    case EventType::user_created:
      // A new user has nothing: at or below any threshold (thresholds are >= 0), which is no crossing.
      state = FundsState{0, event.threshold};
      out.push_back(std::move(event));
      return;
    case EventType::user_updated:
      state.threshold = event.threshold;
      break;
    case EventType::transaction_applied:
      state.balance += event.kind == TxKind::deposit ? event.amount : -event.amount;
      event.balance = state.balance;
      if (was_above != state.above()) crossing_uid = event.text.substr(0, event.text.find('\n'));
      break;
    default:
      TALLY_ASSERT(false, "settle_events takes the events record_event makes");
  }
  out.push_back(std::move(event));
  add_crossing(was_above, state, user, time, crossing_uid, out);
}

void derive_events(const UserCreated& user, FundsState& state, std::vector<Event>& out) {
  settle_events(record_event(user), state, out);
}

void derive_events(const UserUpdated& update, FundsState& state, std::vector<Event>& out) {
  settle_events(record_event(update), state, out);
}

void derive_events(const TransactionApplied& tx, FundsState& state, std::vector<Event>& out) {
  settle_events(record_event(tx), state, out);
}

}  // namespace tally::feed
