// FeedRebuild: derive_events over the replayed records, a few records late, straight into the log's ring.
#include "feed/feed_rebuild.hpp"

#include <string_view>

#include "ledger/limits.hpp"

namespace tally::feed {

Event& FeedRebuild::RingSink::next() {
  settle();
  placed_ = &log_.place_next();
  return *placed_;
}

void FeedRebuild::RingSink::settle() {
  if (placed_ == nullptr) return;
  log_.settle_placed(*placed_);
  placed_ = nullptr;
}

FundsState* FeedRebuild::state_of(UserId id) {
  if (id == 0 || id >= users_.size()) return nullptr;
  return &users_[id];
}

FeedRebuild::Held& FeedRebuild::hold_next(const FundsState& state) {
  __builtin_prefetch(&state, 1);
  if (held_count_ == held_max) derive_oldest();
  Held& slot = held_[(held_oldest_ + held_count_) % held_max];
  ++held_count_;
  return slot;
}

template <typename Record>
void FeedRebuild::hold(const Record& record, const FundsState& state) {
  Held& slot = hold_next(state);
  if (auto* same = std::get_if<Record>(&slot.other)) {
    *same = record;  // assigned member by member: the strings keep their capacity
  } else {
    slot.other = record;
  }
}

void FeedRebuild::derive_held_transaction(Held& held) {
  Event& waiting = held.tx_event;
  FundsState& state = users_[waiting.user_id];
  Event& event = sink_.next();
  event.seq = waiting.seq;
  event.time = waiting.time;
  event.user_id = waiting.user_id;
  event.balance = waiting.balance;
  event.threshold = waiting.threshold;
  event.text.swap(waiting.text);  // the slot's old string comes back to be filled by a later record
  event.amount = waiting.amount;
  event.at = waiting.at;
  event.kind = waiting.kind;
  event.timestamp_given = waiting.timestamp_given;
  event.type = waiting.type;
  // A funds event names the uid; it is placed after `event`, which may move then: the uid goes in a held string.
  std::string_view uid;
  if (crosses(state, held.delta)) {
    waiting.text.assign(event.text, 0, event.text.find('\n'));
    uid = waiting.text;
  }
  settle_transaction_event(event, held.delta, uid, state, sink_);
}

void FeedRebuild::derive_oldest() {
  Held& held = held_[held_oldest_];
  if (const auto* user = std::get_if<UserCreated>(&held.other)) {
    derive_events(*user, users_[user->id], sink_);
  } else if (const auto* update = std::get_if<UserUpdated>(&held.other)) {
    derive_events(*update, users_[update->user_id], sink_);
  } else {
    derive_held_transaction(held);
  }
  sink_.settle();
  held_oldest_ = (held_oldest_ + 1) % held_max;
  --held_count_;
}

void FeedRebuild::flush() {
  while (held_count_ > 0) derive_oldest();
}

bool FeedRebuild::add(const UserCreated& user) {
  if (user.id == 0 || user.id >= limits::users_max) return false;
  if (user.id >= users_.size()) users_.resize(user.id + 1);
  hold(user, users_[user.id]);
  return true;
}

bool FeedRebuild::add(const UserUpdated& update) {
  FundsState* state = state_of(update.user_id);
  if (state == nullptr) return false;
  hold(update, *state);
  return true;
}

bool FeedRebuild::add(const TransactionApplied& tx) {
  FundsState* state = state_of(tx.user_id);
  if (state == nullptr) return false;
  Held& slot = hold_next(*state);
  slot.other = std::monostate{};
  fill_transaction_event(tx, slot.tx_event);
  slot.delta = tx.delta();
  return true;
}

}  // namespace tally::feed
