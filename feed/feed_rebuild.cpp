// FeedRebuild: derive_events over the replayed records, a few records late, straight into the log's ring.
#include "feed/feed_rebuild.hpp"

#include <type_traits>

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

template <typename Record>
void FeedRebuild::hold(const Record& record, const FundsState& state) {
  __builtin_prefetch(&state, 1);
  if (held_count_ == held_max) derive_oldest();
  Held& slot = held_[(held_oldest_ + held_count_) % held_max];
  if (auto* same = std::get_if<Record>(&slot)) {
    *same = record;  // assigned member by member: the strings keep their capacity
  } else {
    slot = record;
  }
  ++held_count_;
}

void FeedRebuild::derive_oldest() {
  std::visit(
      [this](const auto& record) {
        using Record = std::decay_t<decltype(record)>;
        if constexpr (std::is_same_v<Record, UserCreated>) {
          derive_events(record, users_[record.id], sink_);
        } else {
          derive_events(record, users_[record.user_id], sink_);
        }
      },
      held_[held_oldest_]);
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
  hold(tx, *state);
  return true;
}

}  // namespace tally::feed
