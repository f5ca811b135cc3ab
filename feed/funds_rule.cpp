// derive_events: one event per record, plus a funds event when the record moves its user across the line.
#include "feed/funds_rule.hpp"

namespace tally::feed {
namespace {

// The sink's next event with every field set to what `type` at `time` for `user` starts from.
Event& start_event(EventSink& out, EventType type, UtcMicros time, UserId user) {
  Event& event = out.next();
  event.seq = 0;
  event.type = type;
  event.time = time;
  event.user_id = user;
  event.balance = 0;
  event.threshold = 0;
  event.text.clear();
  event.amount = 0;
  event.at = 0;
  event.kind = TxKind::deposit;
  event.timestamp_given = false;
  return event;
}

// The funds event for a move from `was_above` to the state's current side, if it is a crossing.
void add_crossing(bool was_above, const FundsState& state, UserId user, UtcMicros time, std::string_view uid,
                  EventSink& out) {
  if (was_above == state.above()) return;
  Event& event = start_event(out, state.above() ? EventType::funds_available : EventType::funds_depleted, time, user);
  event.balance = state.balance;
  event.threshold = state.threshold;
  event.text.assign(uid);
}

}  // namespace

void derive_events(const UserCreated& user, FundsState& state, EventSink& out) {
  // A new user has nothing: at or below any threshold (thresholds are >= 0), which is no crossing.
  state = FundsState{0, user.low_balance_threshold};
  Event& event = start_event(out, EventType::user_created, user.created_at, user.id);
  event.threshold = user.low_balance_threshold;
  event.text.assign(user.name);
}

void derive_events(const UserUpdated& update, FundsState& state, EventSink& out) {
  const bool was_above = state.above();
  state.threshold = update.low_balance_threshold;
  Event& event = start_event(out, EventType::user_updated, update.at, update.user_id);
  event.threshold = update.low_balance_threshold;
  add_crossing(was_above, state, update.user_id, update.at, std::string_view(), out);
}

void derive_events(const TransactionApplied& tx, FundsState& state, EventSink& out) {
  const bool was_above = state.above();
  state.balance += tx.delta();
  // Records of older builds carry no acceptance time: their timestamp is the closest there is.
  const UtcMicros time = tx.recorded_at != 0 ? tx.recorded_at : tx.at;
  Event& event = start_event(out, EventType::transaction_applied, time, tx.user_id);
  event.balance = state.balance;
  Event::assign_transaction_text(event.text, tx.uid, tx.client);
  event.amount = tx.amount;
  event.at = tx.at;
  event.kind = tx.kind;
  event.timestamp_given = tx.timestamp_given;
  add_crossing(was_above, state, tx.user_id, time, tx.uid, out);
}

}  // namespace tally::feed
