// LedgerService's side of recovery (recovery/ calls it through LedgerRestore): rebuilding users, balances,
// histories, the uid index and the timelines from replayed records, before any actor runs. Split from
// ledger_service.cpp, which serves live requests.
#include "actors/ledger_service.hpp"

namespace tally {

bool LedgerService::restore(const UserCreated& user) {
  // An id of another shard means the log is not this shard's (the data directory's SHARD file says whose it is).
  if (!ids_.holds(user.id) || user.id >= limits::users_max || users_.find(user.id) != nullptr) return false;
  if (!user.idempotency_key.empty() && !idempotency_keys_.restore(user.idempotency_key, user)) return false;
  publish_user(user);
  // Restores may run on several threads (one per user partition): raise the next id monotonically.
  UserId next = next_user_id_.load();
  while (next <= user.id && !next_user_id_.compare_exchange_weak(next, user.id + ids_.stride)) {
  }
  return true;
}

bool LedgerService::restore(const TransactionApplied& tx) {
  const char* entry = nullptr;
  if (!restore_balance(tx) || !transactions_.restore(tx, &entry)) return false;
  users_.find(tx.user_id)->owner.dormant()->timeline.insert(entry);  // restore_balance made both
  return true;
}

// Runs on recovery's uid thread, after the user's worker restored these records' balances (which made the
// user's dormant ledger). The timelines are built at the end (build_timelines): inserting here, in log order,
// met a random user's cold timeline and cold entries per record.
std::size_t LedgerService::stage_uids(const TransactionApplied* const* txs, std::size_t count) {
  std::vector<const char*> entries(count);
  const std::size_t staged = transactions_.stage_bulk(txs, count, entries.data());
  if (staged != count) return staged;
  for (std::size_t k = 0; k < count; ++k) timelines_staged_.add(txs[k]->user_id, txs[k]->at, entries[k]);
  return count;
}

// Each user's entries arrive by timestamp, then log order: the order the timeline keeps, built in one pass.
void LedgerService::build_timelines(std::size_t part, std::size_t parts) {
  timelines_staged_.build(part, parts, [&](UserId user, const char* const* entries, std::size_t count) {
    UserSlot* slot = users_.find(user);
    TALLY_ASSERT(slot != nullptr && slot->owner.dormant(), "a staged transaction's user and history were restored");
    slot->owner.dormant()->timeline.assign_sorted(entries, count);
  });
}

bool LedgerService::restore(const UserUpdated& update) {
  UserSlot* slot = users_.find(update.user_id);
  if (slot == nullptr) return false;
  slot->low_balance_threshold.store(update.low_balance_threshold, std::memory_order_relaxed);
  return true;
}

void LedgerService::reserve_restore(std::size_t transactions) { transactions_.reserve(transactions); }

void LedgerService::prefetch_user(UserId id, int step) const {
  const UserSlot* slot = users_.address_of(id);
  if (slot == nullptr) return;
  if (step == 0) return slot->prefetch_hot_part();
  const UserLedger* ledger = slot->owner.dormant();
  if (step == 1) return __builtin_prefetch(ledger);
  if (ledger != nullptr) ledger->history.prefetch();
}

bool LedgerService::restore_balance(const TransactionApplied& tx) {
  UserSlot* slot = users_.find(tx.user_id);
  if (slot == nullptr) return false;
  if (slot->owner.dormant() == nullptr) slot->owner.set_dormant(std::make_unique<UserLedger>());
  UserLedger& ledger = *slot->owner.dormant();
  // Replaying in log order repeats the actor's decisions exactly; a refusal now means the log is not ours.
  // (Skipping this check was measured: it saves nothing, since the tree descent it costs mostly brings in the
  // nodes the insert below needs anyway.)
  // The history keeps no running total (BalanceHistory::balance() adds it up): the slot's is the same sum, and
  // with it a transaction after the user's newest one is judged and appended without reading the history's leaf.
  const MinorUnits balance = slot->balance.load(std::memory_order_relaxed);
  if (ledger.history.insert_if_accepted(tx.at, tx.delta(), balance) != Verdict::accepted) return false;
  slot->balance.store(balance + tx.delta(), std::memory_order_relaxed);
  return true;
}

}  // namespace tally
