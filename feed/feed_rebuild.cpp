// FeedRebuild: derive_events over the replayed records, straight into the log's ring.
#include "feed/feed_rebuild.hpp"

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

bool FeedRebuild::add(const UserCreated& user) {
  if (user.id == 0 || user.id >= limits::users_max) return false;
  if (user.id >= users_.size()) users_.resize(user.id + 1);
  derive_events(user, users_[user.id], sink_);
  sink_.settle();
  return true;
}

bool FeedRebuild::add(const UserUpdated& update) {
  FundsState* state = state_of(update.user_id);
  if (state == nullptr) return false;
  derive_events(update, *state, sink_);
  sink_.settle();
  return true;
}

bool FeedRebuild::add(const TransactionApplied& tx) {
  FundsState* state = state_of(tx.user_id);
  if (state == nullptr) return false;
  derive_events(tx, *state, sink_);
  sink_.settle();
  return true;
}

}  // namespace tally::feed
