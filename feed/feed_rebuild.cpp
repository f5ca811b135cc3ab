// FeedRebuild: each record's event is made at once (record_event), held while its user's state is prefetched,
// then settled with that state (settle_events) in log order and appended to the log in groups.
#include "feed/feed_rebuild.hpp"

#include "ledger/limits.hpp"

namespace tally::feed {

bool FeedRebuild::add(const UserCreated& user) {
  if (user.id == 0 || user.id >= limits::users_max) return false;
  if (user.id >= users_.size()) users_.resize(user.id + 1);
  hold(record_event(user));
  return true;
}

bool FeedRebuild::add(const UserUpdated& update) {
  if (update.user_id == 0 || update.user_id >= users_.size()) return false;
  hold(record_event(update));
  return true;
}

bool FeedRebuild::add(const TransactionApplied& tx) {
  if (tx.user_id == 0 || tx.user_id >= users_.size()) return false;
  hold(record_event(tx));
  return true;
}

void FeedRebuild::hold(Event event) {
  if (waiting_count_ == waiting_max) settle_oldest();
  __builtin_prefetch(&users_[event.user_id]);
  waiting_[(waiting_first_ + waiting_count_) % waiting_max] = std::move(event);
  ++waiting_count_;
}

void FeedRebuild::settle_oldest() {
  Event& oldest = waiting_[waiting_first_];
  FundsState& state = users_[oldest.user_id];
  settle_events(std::move(oldest), state, settled_);
  waiting_first_ = (waiting_first_ + 1) % waiting_max;
  --waiting_count_;
  if (settled_.size() >= append_events) append_settled();
}

void FeedRebuild::append_settled() {
  log_.append(settled_);  // empties it
}

void FeedRebuild::finish() {
  while (waiting_count_ > 0) settle_oldest();
  append_settled();
}

}  // namespace tally::feed
