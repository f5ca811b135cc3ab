// FeedRebuild: derive_events over the replayed records, appended to the log one record at a time.
#include "feed/feed_rebuild.hpp"

#include "ledger/limits.hpp"

namespace tally::feed {

FundsState* FeedRebuild::state_of(UserId id) {
  if (id == 0 || id >= users_.size()) return nullptr;
  return &users_[id];
}

bool FeedRebuild::add(const UserCreated& user) {
  if (user.id == 0 || user.id >= limits::users_max) return false;
  if (user.id >= users_.size()) users_.resize(user.id + 1);
  derive_events(user, users_[user.id], scratch_);
  log_.append(scratch_);
  return true;
}

bool FeedRebuild::add(const UserUpdated& update) {
  FundsState* state = state_of(update.user_id);
  if (state == nullptr) return false;
  derive_events(update, *state, scratch_);
  log_.append(scratch_);
  return true;
}

bool FeedRebuild::add(const TransactionApplied& tx) {
  FundsState* state = state_of(tx.user_id);
  if (state == nullptr) return false;
  derive_events(tx, *state, scratch_);
  log_.append(scratch_);
  return true;
}

}  // namespace tally::feed
