// LedgerService: the exactly-once gate (claim a uid before any work, commit it only when durable) and the
// router from user id to actor. Users are created here directly, on the caller's thread: an actor serialises one
// user's writes, and a new id has nothing to serialise with (the id is taken atomically, the WAL submission never
// blocks, and the user is published by the WAL thread once durable, like a transaction).
#include "actors/ledger_service.hpp"

#include <algorithm>

#include <caf/scoped_actor.hpp>

#include "actors/batch_turns.hpp"
#include "actors/in_place_array.hpp"
#include "actors/turn_here.hpp"
#include "actors/user_actor.hpp"
#include "feed/funds_rule.hpp"
#include "wal/record_codec.hpp"

namespace tally {

namespace {
Outcome outcome_of_failed(wal::WalStatus status) {
  return status == wal::WalStatus::stopped    ? Outcome::shutting_down
         : status == wal::WalStatus::io_error ? Outcome::storage_failed
                                              : Outcome::storage_full;
}
}  // namespace

LedgerService::LedgerService(caf::actor_system& system, std::uint32_t idle_actor_ms, const Clock& clock,
                             UserIdSpace ids)
    : system_(system),
      clock_(clock),
      users_(ids),
      ids_(ids),
      next_user_id_(ids.first()),
      idle_actor_ms_(idle_actor_ms) {
  TALLY_ASSERT(ids.stride >= 1 && ids.residue < ids.stride, "a shard within its shard count");
  if (idle_actor_ms_ > 0)
    idle_sweep_ = std::make_unique<IdleSweep>(std::chrono::milliseconds(idle_actor_ms_), limits::idle_sweep_slices,
                                              [this](std::uint32_t k, std::uint32_t n) { send_idle_checks(k, n); });
}

void LedgerService::send_idle_checks(std::uint32_t slice, std::uint32_t slices) {
  const UserId end = next_user_id_.load();
  const UserId step = static_cast<UserId>(ids_.stride) * slices;
  for (UserId id = ids_.first() + static_cast<UserId>(ids_.stride) * slice;
       id < end && live_actors_.load(std::memory_order_relaxed) > 0; id += step) {
    UserSlot* slot = users_.find(id);
    if (slot == nullptr) continue;
    // Under the lock, like every send: an actor only passivates with an empty mailbox, so this check finds it live.
    std::lock_guard<SlotLock> guard(slot->lock);
    if (slot->owner.has_actor()) caf::anon_send(slot->owner.actor(), idle_check_atom::value);
  }
}

const caf::actor& LedgerService::live_actor(UserSlot& slot) {
  if (!slot.owner.has_actor()) {
    // Lazily: its first message schedules it, so that message's turn may run where it is sent (send_to_user_here).
    std::unique_ptr<UserLedger> ledger = slot.owner.take_dormant();
    slot.owner.set_actor(system_.spawn<UserActor, caf::lazy_init>(this, &slot, std::move(ledger)));
    live_actors_.fetch_add(1, std::memory_order_relaxed);
  }
  return slot.owner.actor();
}

template <class... Ts>
void LedgerService::send_to_user(UserSlot& slot, Ts&&... message) {
  std::lock_guard<SlotLock> guard(slot.lock);
  caf::anon_send(live_actor(slot), std::forward<Ts>(message)...);
}

template <class... Ts>
void LedgerService::send_to_user_here(UserSlot& slot, Ts&&... message) {
  if (!turns_on_senders_ || !TurnHere::allowed()) return send_to_user(slot, std::forward<Ts>(message)...);
  TurnHere here(system_);
  {
    std::lock_guard<SlotLock> guard(slot.lock);
    caf::actor_cast<caf::abstract_actor*>(live_actor(slot))
        ->enqueue(caf::make_mailbox_element(nullptr, caf::make_message_id(), {}, std::forward<Ts>(message)...), &here);
  }
  here.run();  // after the lock: the turn may passivate, which takes it
}

bool LedgerService::passivate(UserSlot& slot, caf::scheduled_actor& self, std::unique_ptr<UserLedger>& ledger) {
  std::lock_guard<SlotLock> guard(slot.lock);
  // Every sender holds the lock, so an empty mailbox now stays empty: no message can be lost.
  if (!self.mailbox().empty()) return false;
  TALLY_ASSERT(slot.owner.has_actor() && slot.owner.actor() == caf::actor_cast<caf::actor>(&self) && ledger,
               "only the slot's running actor hands its ledger back, once");
  slot.owner.clear_actor();
  slot.owner.set_dormant(std::move(ledger));
  live_actors_.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

void LedgerService::attach(wal::WalWriter& wal) {
  wal_ = &wal;
  // The writer outlives no service it calls: tallyd and the tests stop the WAL before the ledger goes.
  wal.set_batch_end([this] { durable_batch_.finish(feed_); });
}

LedgerService::~LedgerService() {
  idle_sweep_.reset();  // no idle check is sent from here on
  // Stop every live actor now, and wait until each has terminated, since a message it is handling (an idle
  // check) calls back into this object (UBSan saw one do so while this destructor ran).
  caf::scoped_actor self{system_};
  std::size_t stopping = 0;
  const UserId end = next_user_id_.load();
  for (UserId id = ids_.first(); id < end && live_actors_.load(std::memory_order_relaxed) > 0; id += ids_.stride) {
    UserSlot* slot = users_.find(id);
    if (slot == nullptr) continue;
    std::lock_guard<SlotLock> guard(slot->lock);
    if (!slot->owner.has_actor()) continue;
    self->monitor(slot->owner.actor());  // a down message comes even for an actor that already quit
    caf::anon_send_exit(slot->owner.actor(), caf::exit_reason::user_shutdown);
    ++stopping;
    slot->owner.clear_actor();
    live_actors_.fetch_sub(1, std::memory_order_relaxed);
  }
  // Bounded: an exit message is handled before any other mail, so this takes milliseconds; never hang a shutdown.
  constexpr std::chrono::seconds actors_stop_wait_max{10};
  std::size_t down = 0;
  self->receive_while([&] { return down < stopping; })(
      [&](const caf::down_msg&) { ++down; },
      caf::after(actors_stop_wait_max) >> [&] { down = stopping; });
}

// A durable (or replayed) user's slot, filled and made visible to readers.
UserSlot& LedgerService::publish_user(const UserCreated& user) {
  UserSlot& slot = users_.prepare(user.id);
  slot.name = user.name;
  slot.created_at = user.created_at;
  slot.client = user_clients_.intern(user.client);
  slot.low_balance_threshold.store(user.low_balance_threshold, std::memory_order_relaxed);
  users_.publish(slot);
  return slot;
}

void LedgerService::create_user(std::string name, std::string idempotency_key, MinorUnits low_balance_threshold,
                                std::string client, UserReply reply) {
  if (!idempotency_key.empty()) {
    auto claim = idempotency_keys_.claim(idempotency_key, [&]() {
      return [this, name, idempotency_key, low_balance_threshold, client, reply]() {
        create_user(name, idempotency_key, low_balance_threshold, client, reply);
      };
    });
    if (claim.result == ClaimIndex<UserCreated>::ClaimResult::waiting) return;
    if (claim.result == ClaimIndex<UserCreated>::ClaimResult::committed) {
      const UserCreated& existing = *claim.existing;
      const UserSlot* slot = users_.find(existing.id);
      // The original user, its original client too (a retry by another client is still the same request).
      UserView view = slot ? view_of(existing.id, *slot)
                           : UserView{existing.id, existing.name, 0, existing.client, existing.low_balance_threshold};
      const bool same = existing.name == name && existing.low_balance_threshold == low_balance_threshold;
      reply(UserResult{same ? Outcome::replayed : Outcome::conflict, view});
      return;
    }
  }
  const UserId id = next_user_id_.fetch_add(ids_.stride);
  if (id >= limits::users_max) {
    if (!idempotency_key.empty()) idempotency_keys_.release(idempotency_key);
    reply(UserResult{Outcome::too_many_users, {}});
    return;
  }
  UserCreated record{id, std::move(name), std::move(idempotency_key), clock_.now_micros(), std::move(client),
                     low_balance_threshold};
  std::optional<std::string> payload = wal::encode(record);
  if (!payload) {  // the WAL's reader would refuse it: record nothing (the id stays unused, like a failed write)
    if (!record.idempotency_key.empty()) idempotency_keys_.release(record.idempotency_key);
    reply(UserResult{Outcome::record_refused, {}});
    return;
  }
  wal().submit(std::move(*payload), 0, [this, record, reply](wal::WalStatus status) {
    const bool keyed = !record.idempotency_key.empty();
    if (status != wal::WalStatus::durable) {
      if (keyed) idempotency_keys_.release(record.idempotency_key);
      reply(UserResult{outcome_of_failed(status), {}});
      return;
    }
    durable_batch_.publish_staged();  // the transactions before it in the log are visible first
    UserSlot& slot = publish_user(record);
    publish_events(record, slot);
    if (keyed) idempotency_keys_.commit(record.idempotency_key, record);
    durable_batch_.defer([record, reply] {
      reply(UserResult{Outcome::applied,
                       UserView{record.id, record.name, 0, record.client, record.low_balance_threshold}});
    });
  });
}

void LedgerService::update_user(UserUpdated update, UserReply reply) {
  UserSlot* slot = users_.find(update.user_id);
  if (slot == nullptr) {
    reply(UserResult{Outcome::user_not_found, {}});
    return;
  }
  update.at = clock_.now_micros();
  std::optional<std::string> payload = wal::encode(update);
  if (!payload) {
    reply(UserResult{Outcome::record_refused, {}});
    return;
  }
  // Not through the user's actor: a threshold takes no part in judging transactions. The WAL orders it among
  // the user's transactions, and the funds rule is applied in that order as each record becomes durable.
  wal().submit(std::move(*payload), 0, [this, slot, update, reply](wal::WalStatus status) {
    if (status != wal::WalStatus::durable) {
      reply(UserResult{outcome_of_failed(status), {}});
      return;
    }
    durable_batch_.publish_staged();  // the user's transactions before it in the log are judged by the old one
    publish_events(update, *slot);
    slot->low_balance_threshold.store(update.low_balance_threshold, std::memory_order_release);
    durable_batch_.defer([reply, view = view_of(update.user_id, *slot)] { reply(UserResult{Outcome::applied, view}); });
  });
}

template <class MakeRetry, class Answer>
UserSlot* LedgerService::claim_for(const TransactionApplied& tx, UidHash uid_hash, MakeRetry&& make_retry,
                                   Answer&& answer) {
  auto claim = transactions_.claim(tx.uid, uid_hash, make_retry);
  switch (claim.result) {
    case TxIndex::ClaimResult::waiting:
      return nullptr;
    case TxIndex::ClaimResult::committed: {
      const TransactionApplied& existing = *claim.existing;
      answer(TxResult{existing.same_request_as(tx) ? Outcome::replayed : Outcome::conflict, existing});
      return nullptr;
    }
    case TxIndex::ClaimResult::claimed:
      break;
  }
  UserSlot* slot = users_.find(tx.user_id);
  if (slot == nullptr) {
    transactions_.release(tx.uid, uid_hash);
    answer(TxResult{Outcome::user_not_found, tx});
  }
  return slot;
}

void LedgerService::apply(TransactionApplied tx, TxReply reply) {
  const auto retry = [&]() { return [this, tx, reply]() { apply(tx, reply); }; };
  const UidHash uid_hash = TxIndex::hash_of(tx.uid);
  UserSlot* slot = claim_for(tx, uid_hash, retry, reply);
  if (slot == nullptr) return;
  // The command is the WAL entry the actor submits if it admits the transaction: one allocation for both.
  auto in_flight = UserActor::InFlight::hold(std::make_shared<UserActor::InFlight>(*this, *slot));
  in_flight->reply = std::move(reply);
  in_flight->txs.push_back(std::move(tx));
  in_flight->items.push_back(TxItem{0, uid_hash});
  send_to_user_here(*slot, apply_atom::value, std::move(in_flight));
}

namespace {
// How far ahead of its claim a batch item's uid slot and user slot are loaded: enough for the misses of a few
// random items to be in flight together (measured: bench/batch_cost.sh; README "Performance").
constexpr std::uint32_t batch_prefetch_items = 8;
}  // namespace

void LedgerService::prefetch_item(const TransactionApplied& tx, UidHash uid_hash) const {
  transactions_.prefetch(uid_hash);
  if (const UserSlot* slot = users_.address_of(tx.user_id)) slot->prefetch_hot_part();
}

void LedgerService::apply_batch(std::vector<TransactionApplied> txs, std::vector<std::uint32_t> positions,
                                std::shared_ptr<BatchSink> sink) {
  TALLY_ASSERT(txs.size() == positions.size() && sink, "a batch needs one position per item and a sink");
  // Claim every uid first; only claimed items of existing users go on, grouped by user in batch order.
  struct Claimed {
    UserId user;  // the sort key, beside the index: sorting reads no transaction
    UserSlot* slot;
    std::uint32_t k;  // index into txs
    UidHash uid_hash;
  };
  // Each uid is hashed once, batch_prefetch_items ahead of its claim (for the prefetch), and the hash goes on
  // with the item to the commit.
  std::vector<UidHash> hashes(txs.size());
  for (std::uint32_t k = 0; k < std::min<std::size_t>(batch_prefetch_items, txs.size()); ++k)
    hashes[k] = TxIndex::hash_of(txs[k].uid);
  std::vector<Claimed> claimed;
  claimed.reserve(txs.size());
  for (std::uint32_t k = 0; k < txs.size(); ++k) {
    if (k + batch_prefetch_items < txs.size()) {
      const TransactionApplied& ahead = txs[k + batch_prefetch_items];
      hashes[k + batch_prefetch_items] = TxIndex::hash_of(ahead.uid);
      prefetch_item(ahead, hashes[k + batch_prefetch_items]);
    }
    const TransactionApplied& tx = txs[k];
    const std::uint32_t position = positions[k];
    UserSlot* slot = claim_for(
        tx, hashes[k],
        [&]() {
          // A uid repeated within the batch, or in flight elsewhere: this item runs alone once the claim resolves.
          return [this, tx, position, sink]() {
            apply(tx, [position, sink](const TxResult& result) { sink->item_done(position, result); });
          };
        },
        [&](const TxResult& result) { sink->item_done(position, result); });
    if (slot != nullptr) claimed.push_back(Claimed{tx.user_id, slot, k, hashes[k]});
  }
  // By user, and in batch order within a user (k breaks ties): each user's items are judged in the order sent.
  std::sort(claimed.begin(), claimed.end(),
            [](const Claimed& a, const Claimed& b) { return a.user != b.user ? a.user < b.user : a.k < b.k; });
  // Each user's share is sent here, in batch order; the actors it wakes run on the workers, a few per job.
  BatchTurns turns(system_, &UserActor::prefetch_turn);
  // Every user's command in one allocation; each handle holds the array (answered together; in_place_array.hpp).
  std::size_t users = 0;
  for (std::size_t i = 0; i < claimed.size(); ++i) users += i == 0 || claimed[i].slot != claimed[i - 1].slot;
  auto commands = std::make_shared<InPlaceArray<UserActor::InFlight>>(users);
  for (std::size_t i = 0; i < claimed.size();) {
    // The send below takes the slot's lock, on a line the WAL thread last wrote (the balance): ask for it
    // writable a few users ahead.
    if (i + batch_prefetch_items < claimed.size()) __builtin_prefetch(claimed[i + batch_prefetch_items].slot, 1);
    UserSlot* slot = claimed[i].slot;
    auto group = UserActor::InFlight::hold(
        std::shared_ptr<UserActor::InFlight>(commands, &commands->emplace(*this, *slot)));
    group->sink = sink;
    std::size_t end = i;
    while (end < claimed.size() && claimed[end].slot == slot) ++end;
    group->txs.reserve(end - i);
    group->items.reserve(end - i);
    for (; i < end; ++i) {
      group->txs.push_back(std::move(txs[claimed[i].k]));
      group->items.push_back(TxItem{positions[claimed[i].k], claimed[i].uid_hash});
    }
    std::lock_guard<SlotLock> guard(slot->lock);
    caf::actor_cast<caf::abstract_actor*>(live_actor(*slot))
        ->enqueue(caf::make_mailbox_element(nullptr, caf::make_message_id(), {}, apply_many_atom::value,
                                            std::move(group)),
                  &turns);
  }
  turns.hand_to_workers();
}

const char* LedgerService::finish_claim(const TransactionApplied& tx, UidHash uid_hash, bool durable) {
  if (durable) return transactions_.commit(tx, uid_hash);
  transactions_.release(tx.uid, uid_hash);
  return nullptr;
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
  send_to_user_here(*slot, balance_atom::value, std::make_shared<BalanceQuery>(BalanceQuery{at, std::move(reply)}));
  return true;
}

bool LedgerService::list_transactions(UserId id, HistoryQuery query, HistoryReply reply) {
  UserSlot* slot = users_.find(id);
  if (slot == nullptr) return false;
  send_to_user(*slot, history_atom::value,
               std::make_shared<HistoryCommand>(HistoryCommand{query, std::move(reply)}));
  return true;
}

UserView LedgerService::view_of(UserId id, const UserSlot& slot) const {
  return UserView{id, std::string(slot.name.view()), slot.balance.load(std::memory_order_acquire), user_clients_.name(slot.client),
                  slot.low_balance_threshold.load(std::memory_order_acquire)};
}

template <class Record>
void LedgerService::publish_events(const Record& record, const UserSlot& slot) {
  if (feed_ == nullptr) return;
  // On the WAL thread, the only writer of the slot's balance and threshold: they are the user's durable state
  // just before this record, in log order.
  feed::FundsState state{slot.balance.load(std::memory_order_relaxed),
                         slot.low_balance_threshold.load(std::memory_order_relaxed)};
  // Appended with the rest of its group commit's events, in log order, at the batch's end.
  feed::derive_events(record, state, durable_batch_.events());
}

}  // namespace tally
