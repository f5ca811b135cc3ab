// LedgerService: the exactly-once gate (claim a uid before any work, commit it only when durable) and the
// router from user id to actor. Users are created here directly: no actor exists for them until they do.
#include "actors/ledger_service.hpp"

#include <algorithm>

#include "actors/user_actor.hpp"
#include "wal/record_codec.hpp"

namespace tally {

LedgerService::LedgerService(caf::actor_system& system) : system_(system) {}

LedgerService::~LedgerService() = default;

void LedgerService::create_user(std::string name, std::string idempotency_key, UserReply reply) {
  if (!idempotency_key.empty()) {
    auto claim = idempotency_keys_.claim(idempotency_key, [&]() {
      return [this, name, idempotency_key, reply]() { create_user(name, idempotency_key, reply); };
    });
    if (claim.result == ClaimIndex<UserCreated>::ClaimResult::waiting) return;
    if (claim.result == ClaimIndex<UserCreated>::ClaimResult::committed) {
      const UserCreated& existing = *claim.existing;
      const UserSlot* slot = users_.find(existing.id);
      UserView view{existing.id, existing.name, slot ? slot->balance.load(std::memory_order_acquire) : 0};
      reply(UserResult{existing.name == name ? Outcome::replayed : Outcome::conflict, view});
      return;
    }
  }
  const UserId id = next_user_id_.fetch_add(1);
  if (id >= limits::users_max) {
    if (!idempotency_key.empty()) idempotency_keys_.release(idempotency_key);
    reply(UserResult{Outcome::too_many_users, {}});
    return;
  }
  UserCreated record{id, std::move(name), std::move(idempotency_key), utc_now_micros()};
  std::string payload = wal::encode(record);
  wal().submit(std::move(payload), 0, [this, record, reply](wal::WalStatus status) {
    const bool keyed = !record.idempotency_key.empty();
    if (status != wal::WalStatus::durable) {
      if (keyed) idempotency_keys_.release(record.idempotency_key);
      reply(UserResult{status == wal::WalStatus::stopped    ? Outcome::shutting_down
                       : status == wal::WalStatus::io_error ? Outcome::storage_failed
                                                            : Outcome::storage_full,
                       {}});
      return;
    }
    UserSlot& slot = users_.prepare(record.id);
    slot.name = record.name;
    slot.created_at = record.created_at;
    users_.publish(slot);
    if (keyed) idempotency_keys_.commit(record.idempotency_key, record);
    reply(UserResult{Outcome::applied, UserView{record.id, record.name, 0}});
  });
}

void LedgerService::apply(TransactionApplied tx, TxReply reply) {
  auto claim = transactions_.claim(tx.uid, [&]() { return [this, tx, reply]() { apply(tx, reply); }; });
  switch (claim.result) {
    case TxIndex::ClaimResult::waiting:
      return;
    case TxIndex::ClaimResult::committed: {
      const TransactionApplied& existing = *claim.existing;
      reply(TxResult{existing.same_request_as(tx) ? Outcome::replayed : Outcome::conflict, existing});
      return;
    }
    case TxIndex::ClaimResult::claimed:
      break;
  }
  UserSlot* slot = users_.find(tx.user_id);
  if (slot == nullptr) {
    transactions_.release(tx.uid);
    reply(TxResult{Outcome::user_not_found, tx});
    return;
  }
  caf::actor actor = activate(*slot, tx.user_id);
  caf::anon_send(actor, apply_atom::value, std::make_shared<TxCommand>(TxCommand{std::move(tx), std::move(reply)}));
}

void LedgerService::finish_claim(const TransactionApplied& tx, bool durable) {
  if (durable) {
    transactions_.commit(tx);
  } else {
    transactions_.release(tx.uid);
  }
}

std::optional<UserView> LedgerService::find_user(UserId id) const {
  const UserSlot* slot = users_.find(id);
  if (slot == nullptr) return std::nullopt;
  return view_of(id, *slot);
}

std::optional<MinorUnits> LedgerService::balance_now(UserId id) const {
  const UserSlot* slot = users_.find(id);
  if (slot == nullptr) return std::nullopt;
  return slot->balance.load(std::memory_order_acquire);
}

std::optional<TransactionApplied> LedgerService::find_transaction(const std::string& uid) const {
  return transactions_.find_committed(uid);
}

bool LedgerService::balance_at(UserId id, UtcMicros at, BalanceReply reply) {
  UserSlot* slot = users_.find(id);
  if (slot == nullptr) return false;
  caf::actor actor = activate(*slot, id);
  caf::anon_send(actor, balance_atom::value, std::make_shared<BalanceQuery>(BalanceQuery{at, std::move(reply)}));
  return true;
}

bool LedgerService::restore(const UserCreated& user) {
  if (user.id == 0 || user.id >= limits::users_max || users_.find(user.id) != nullptr) return false;
  if (!user.idempotency_key.empty() && !idempotency_keys_.restore(user.idempotency_key, user)) return false;
  UserSlot& slot = users_.prepare(user.id);
  slot.name = user.name;
  slot.created_at = user.created_at;
  users_.publish(slot);
  // Restores may run on several threads (one per user partition): raise the next id monotonically.
  UserId next = next_user_id_.load();
  while (next <= user.id && !next_user_id_.compare_exchange_weak(next, user.id + 1)) {
  }
  return true;
}

bool LedgerService::restore(const TransactionApplied& tx) {
  return restore_balance(tx) && transactions_.restore(tx);
}

caf::actor LedgerService::activate(UserSlot& slot, UserId /*id*/) {
  std::call_once(slot.activation, [&]() {
    slot.actor = system_.spawn<UserActor>(this, &slot, std::move(slot.dormant));
  });
  return slot.actor;
}

UserView LedgerService::view_of(UserId id, const UserSlot& slot) const {
  return UserView{id, slot.name, slot.balance.load(std::memory_order_acquire)};
}

void LedgerService::reserve_restore(std::size_t transactions) { transactions_.reserve(transactions); }

bool LedgerService::restore_balance(const TransactionApplied& tx) {
  UserSlot* slot = users_.find(tx.user_id);
  if (slot == nullptr) return false;
  if (!slot->dormant) slot->dormant = std::make_unique<UserLedger>();
  UserLedger& ledger = *slot->dormant;
  // Replaying in log order repeats the actor's decisions exactly; a refusal now means the log is not ours.
  // (Skipping this check was measured: it saves nothing, since the tree descent it costs mostly brings in the
  // nodes the insert below needs anyway.)
  if (judge(ledger.history, tx.at, tx.delta()) != Verdict::accepted) return false;
  ledger.history.insert(tx.at, tx.delta());
  slot->balance.store(ledger.history.balance(), std::memory_order_relaxed);
  return true;
}

}  // namespace tally
