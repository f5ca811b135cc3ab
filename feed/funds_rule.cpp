// derive_events: one event per record, plus a funds event when the record moves its user across the line.
#include "feed/funds_rule.hpp"

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

void derive_events(const UserCreated& user, FundsState& state, std::vector<Event>& out) {
  // A new user has nothing: at or below any threshold (thresholds are >= 0), which is no crossing.
  state = FundsState{0, user.low_balance_threshold};
  Event event;
  event.type = EventType::user_created;
  event.time = user.created_at;
  event.user_id = user.id;
  event.threshold = user.low_balance_threshold;
  event.text = user.name;
  out.push_back(std::move(event));
}

void derive_events(const UserUpdated& update, FundsState& state, std::vector<Event>& out) {
  const bool was_above = state.above();
  state.threshold = update.low_balance_threshold;
  Event event;
  event.type = EventType::user_updated;
  event.time = update.at;
  event.user_id = update.user_id;
  event.threshold = update.low_balance_threshold;
  out.push_back(std::move(event));
  add_crossing(was_above, state, update.user_id, update.at, std::string(), out);
}

void derive_events(const TransactionApplied& tx, FundsState& state, std::vector<Event>& out) {
  const bool was_above = state.above();
  state.balance += tx.delta();
  // Records of older builds carry no acceptance time: their timestamp is the closest there is.
  const UtcMicros time = tx.recorded_at != 0 ? tx.recorded_at : tx.at;
  Event event;
  event.type = EventType::transaction_applied;
  event.time = time;
  event.user_id = tx.user_id;
  event.balance = state.balance;
  event.text = Event::transaction_text(tx.uid, tx.client);
  event.amount = tx.amount;
  event.at = tx.at;
  event.kind = tx.kind;
  event.timestamp_given = tx.timestamp_given;
  out.push_back(std::move(event));
  add_crossing(was_above, state, tx.user_id, time, tx.uid, out);
}

}  // namespace tally::feed
