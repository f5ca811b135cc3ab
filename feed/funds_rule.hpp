// The events one durable record makes, given its user's state just before it: a pure function, so the live
// path (the WAL thread, in log order) and recovery (replaying the same records in the same order) derive the same
// events. The funds rule: a user is "above" while its current balance is greater than its low-balance threshold;
// balance.funds_depleted fires when a record moves it from above to at-or-below, balance.funds_available when it
// moves back above. Once per crossing, never while the state holds.
#pragma once

#include <string_view>
#include <vector>

#include "feed/event.hpp"
#include "ledger/records.hpp"

namespace tally::feed {

// What the rule needs of one user: its current balance (every durable transaction, backdated ones included,
// counts by its effect on it) and its threshold.
struct FundsState {
  MinorUnits balance = 0;
  MinorUnits threshold = 0;
  bool above() const { return balance > threshold; }
};

// Where derived events go: next() hands out the event to fill next. Every field is assigned, so the event may
// be a reused one (recovery fills the feed ring's slots in place, keeping their strings' capacity).
class EventSink {
 public:
  virtual Event& next() = 0;

 protected:
  ~EventSink() = default;
};

// Each derives its events into `out` (seq unset) and advances `state` past the record.
void derive_events(const UserCreated& user, FundsState& state, EventSink& out);
void derive_events(const UserUpdated& update, FundsState& state, EventSink& out);
void derive_events(const TransactionApplied& tx, FundsState& state, EventSink& out);

// derive_events(tx) in two steps, for recovery, which fills the event before its user's state is at hand:
// fill_transaction_event sets every field of the transaction.applied event but the balance (no state needed);
// settle_transaction_event then sets the balance, advances `state` and adds the funds event, if any, to `out`.
// `uid` (the transaction's) must stay valid across out.next(): not a view into `event`, which next() may move.
void fill_transaction_event(const TransactionApplied& tx, Event& event);
void settle_transaction_event(Event& event, MinorUnits delta, std::string_view uid, FundsState& state, EventSink& out);
// Whether a change of `delta` moves the user across the line (settle_transaction_event then adds a funds event).
inline bool crosses(const FundsState& state, MinorUnits delta) {
  return state.above() != FundsState{state.balance + delta, state.threshold}.above();
}

// The same, appended to a vector (the live path's batches, tests).
template <typename Record>
void derive_events(const Record& record, FundsState& state, std::vector<Event>& out) {
  struct VectorSink final : EventSink {
    explicit VectorSink(std::vector<Event>& events) : events(events) {}
    Event& next() override { return events.emplace_back(); }
    std::vector<Event>& events;
  } sink(out);
  derive_events(record, state, sink);
}

}  // namespace tally::feed
