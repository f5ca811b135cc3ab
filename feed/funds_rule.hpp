// The events one durable record makes, given its user's state just before it: a pure function, so the live
// path (the WAL thread, in log order) and recovery (replaying the same records in the same order) derive the same
// events. The funds rule: a user is "above" while its current balance is greater than its low-balance threshold;
// balance.funds_depleted fires when a record moves it from above to at-or-below, balance.funds_available when it
// moves back above. Once per crossing, never while the state holds.
#pragma once

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
