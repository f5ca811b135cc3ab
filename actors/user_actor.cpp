// UserActor: speculative apply, durable publish. Pending entries count when judging later transactions (so two
// withdrawals cannot both spend the same money) but never in what readers see, until the WAL makes them durable.
// The WAL thread publishes and answers a durable record itself; the actor only learns of it to drop its copy.
#include "actors/user_actor.hpp"

#include <utility>

#include "actors/ledger_service.hpp"
#include "actors/tsan_handoff.hpp"
#include "actors/turn_here.hpp"
#include "feed/funds_rule.hpp"
#include "ledger/assert.hpp"

namespace tally {

namespace {
Outcome outcome_of(wal::WalStatus status) {
  switch (status) {
    case wal::WalStatus::durable: return Outcome::applied;
    case wal::WalStatus::no_space:
    case wal::WalStatus::dependency_failed: return Outcome::storage_full;
    case wal::WalStatus::stopped: return Outcome::shutting_down;
    case wal::WalStatus::io_error: return Outcome::storage_failed;
  }
  return Outcome::storage_failed;
}
}  // namespace

UserActor::UserActor(caf::actor_config& config, LedgerService* service, UserSlot* slot,
                     std::unique_ptr<UserLedger> ledger)
    : caf::event_based_actor(config), service_(service), slot_(slot), ledger_(std::move(ledger)) {
  if (!ledger_) ledger_ = std::make_unique<UserLedger>();
  TALLY_ASSERT(static_cast<const void*>(static_cast<caf::abstract_actor*>(this)) == static_cast<const void*>(this),
               "an actor's TSan mark is its own address, also as the abstract_actor CAF hands around (batch_turns)");
  tsan::release(this);  // what the spawning thread wrote, for make_behavior on a worker
}

// CAF destroys an actor on the thread that drops its last reference, after its last turn and after whoever held a
// reference let go (a worker job, a down message on the thread waiting for the actor): its turns and those
// references release `this` (tsan_handoff.hpp), and its members are destroyed after this acquire.
UserActor::~UserActor() { tsan::acquire(this); }

// TSan marks (tsan_handoff.hpp; nothing outside TSan builds). Every message is released into this actor by its
// sender as it is enqueued, and each message handled is one turn: so TSan sees that a send happens before its
// handling, and that handling one message happens before the next, on whichever worker each one runs.
void UserActor::enqueue(caf::mailbox_element_ptr message, caf::execution_unit* unit) {
  tsan::release(this);
  caf::event_based_actor::enqueue(std::move(message), unit);
}

namespace {
// The actor whose turn this thread runs (set by UserActor::consume): the handlers of the one behaviour all user
// actors share act on it.
thread_local UserActor* turn_actor = nullptr;
}  // namespace

caf::invoke_message_result UserActor::consume(caf::mailbox_element& message) {
  tsan::ActorTurn turn(this);
  TurnHere::InTurn in_turn;  // this handler's own sends to other users go to the workers
  UserActor* const outer = std::exchange(turn_actor, this);
  const caf::invoke_message_result result = caf::event_based_actor::consume(message);
  turn_actor = outer;
  return result;
}

void UserActor::prefetch_turn(caf::resumable* actor, int step) {
  UserActor& self = *static_cast<UserActor*>(actor);
  switch (step) {
    case 0:
      // Made ready by a send, so its last turn has ended (CAF's mailbox, unseen by TSan): the steps read its state.
      tsan::acquire(&self);
      __builtin_prefetch(&self.pending_);
      __builtin_prefetch(&self.ledger_);
      return;
    case 1:
      if (!self.pending_.empty()) __builtin_prefetch(self.pending_.begin());
      __builtin_prefetch(self.ledger_.get());
      return;
    case 2:
      if (!self.pending_.empty()) __builtin_prefetch(self.pending_.front().in_flight.get());
      if (self.ledger_) {
        self.ledger_->history.prefetch();
        self.ledger_->timeline.prefetch();
      }
      return;
    case 3:
      if (!self.pending_.empty()) __builtin_prefetch(self.pending_.front().in_flight->items.data());
      [[fallthrough]];
    default:
      // The timeline's append path, a level a step, when the turn will insert (drop_durable's inserts are nearly
      // all appends, each a chain of cold reads: the node, its slots, the next node, the last entry's time). An
      // actor with nothing pending (a cold user's first turn) skips it: its walk would only wait for memory.
      if (self.ledger_ && !self.pending_.empty()) self.ledger_->timeline.prefetch_append(step - 2);
      return;
  }
}

// One behaviour for every user actor, built once: its handlers hold no state (the actor is the one whose turn
// runs, `turn_actor`), and CAF only reads a behaviour when it matches a message. A behaviour of its own per actor
// cost an allocation at every spawn, and its dispatch table was a cache miss per message (perf: ~3% of a batch
// over 10,000 users, the load of its virtual table in CAF's `categorize`).
caf::behavior UserActor::make_behavior() {
  tsan::ActorTurn turn(this);
  // No timer of its own: the service's idle sweep sends idle_check to every live actor once per idle period.
  static const caf::behavior shared{
      [](apply_atom, const std::shared_ptr<InFlight>& single) {
        UserActor& self = *turn_actor;
        ++self.messages_;
        self.on_apply(single);
      },
      [](apply_many_atom, const std::shared_ptr<InFlight>& group) {
        UserActor& self = *turn_actor;
        ++self.messages_;
        self.on_apply_many(group);
      },
      [](wal_done_atom, std::uint64_t seq, int status) {
        UserActor& self = *turn_actor;
        ++self.messages_;
        self.on_wal_done(seq, static_cast<wal::WalStatus>(status));
      },
      [](balance_atom, const std::shared_ptr<BalanceQuery>& query) {
        UserActor& self = *turn_actor;
        ++self.messages_;
        self.drop_durable();
        query->reply(self.durable_balance_at(query->at));
      },
      [](history_atom, const std::shared_ptr<HistoryCommand>& command) {
        UserActor& self = *turn_actor;
        ++self.messages_;
        self.drop_durable();  // the timeline holds every durable transaction from here on
        command->reply(history_page(self.ledger_->timeline, command->query));
      },
      [](idle_check_atom) { turn_actor->on_idle_check(); },
  };
  return shared;
}

// An idle user costs its slot and dormant ledger (~100 bytes) instead of a live actor (~1.3 KB): after one
// idle period with no message and nothing in flight (from one sweep to the next), the actor hands its ledger
// back to the slot and quits.
void UserActor::on_idle_check() {
  drop_durable();
  const bool idle = messages_ == messages_at_last_check_ && pending_.empty();
  messages_at_last_check_ = messages_;
  if (idle && service_->passivate(*slot_, *this, ledger_)) quit();
}

void UserActor::InFlight::answer(std::size_t k, const TxResult& result) {
  if (sink) {
    sink->item_done(items[k].position, result);
  } else {
    reply(result);
  }
}

void UserActor::drop_durable() {
  while (!pending_.empty() && pending_.front().in_flight->durable.load(std::memory_order_acquire)) {
    // In submission order, which is this user's log order: recovery rebuilds the same timeline.
    for (const TxItem& item : pending_.front().in_flight->items) ledger_->timeline.insert(item.entry);
    pending_.pop_front();
  }
}

std::optional<Outcome> UserActor::admit(const TransactionApplied& tx, UidHash uid_hash) {
  const MinorUnits delta = tx.delta();
  const Verdict verdict = judge(ledger_->history, tx.at, delta);
  if (verdict != Verdict::accepted) {
    service_->finish_claim(tx, uid_hash, false);
    return verdict == Verdict::insufficient_funds ? Outcome::insufficient_funds : Outcome::balance_too_large;
  }
  ledger_->history.insert(tx.at, delta);
  return std::nullopt;
}

void UserActor::on_apply(std::shared_ptr<InFlight> in_flight) {
  drop_durable();
  TALLY_ASSERT(in_flight->txs.size() == 1 && in_flight->items.size() == 1 && in_flight->reply &&
                   in_flight->owner == nullptr && &in_flight->slot == slot_,
               "a single PUT's command is one transaction of this user, not yet submitted");
  TransactionApplied& tx = in_flight->txs.front();
  tx.recorded_at = service_->now();
  // The uid was hashed once, by its claim (LedgerService::apply).
  if (const std::optional<Outcome> refused = admit(tx, in_flight->items.front().uid_hash)) {
    in_flight->reply(TxResult{*refused, tx});
    return;
  }
  submit(std::move(in_flight));
}

void UserActor::on_apply_many(std::shared_ptr<InFlight> group) {
  drop_durable();
  TALLY_ASSERT(group->txs.size() == group->items.size() && group->sink && group->owner == nullptr,
               "a group command is well formed and not yet submitted");
  // Admitted items move down over refused ones, in order; the group is then submitted as it is (no allocation
  // or move per item: usually nothing is refused).
  InFlight::Items<TransactionApplied>& txs = group->txs;
  InFlight::Items<TxItem>& items = group->items;
  const UtcMicros now = service_->now();
  std::size_t kept = 0;
  for (std::size_t k = 0; k < txs.size(); ++k) {
    txs[k].recorded_at = now;
    if (const std::optional<Outcome> refused = admit(txs[k], items[k].uid_hash)) {
      group->sink->item_done(items[k].position, TxResult{*refused, txs[k]});
      continue;
    }
    if (kept != k) {
      txs[kept] = std::move(txs[k]);
      items[kept] = items[k];
    }
    ++kept;
  }
  if (kept == 0) return;
  txs.erase(txs.begin() + static_cast<std::ptrdiff_t>(kept), txs.end());
  items.resize(kept);
  submit(std::move(group));
}

void UserActor::submit(std::shared_ptr<InFlight> in_flight) {
  const std::uint64_t seq = next_seq_++;
  in_flight->seq = seq;
  in_flight->owner = this;
  TALLY_ASSERT(in_flight->items.size() == in_flight->txs.size(), "one item (hash, entry) per transaction");
  // A record may only become durable if every earlier pending one of this user does: they were judged together.
  const wal::WalTicket depends_on = pending_.empty() ? 0 : pending_.back().ticket;
  wal::RecordGroup group;
  bool encodable = true;
  for (const TransactionApplied& tx : in_flight->txs) {
    if (!group.add(tx)) {
      encodable = false;
      break;
    }
  }
  InFlight* const entry = in_flight.get();
  pending_.push_back(Pending{seq, 0, std::move(in_flight)});
  if (!encodable) {
    // A record the WAL's reader would refuse: writing it would stop every later start. The group was judged
    // together, so all of it fails.
    roll_back(pending_.end() - 1, Outcome::record_refused);
    return;
  }
  TALLY_ASSERT(group.records() == entry->txs.size(), "one WAL record per transaction judged");
  // A submission the WAL refuses without queueing (full queue, stopping, a failed dependency) still gets a
  // ticket and completes through the same callback, before submit_group returns: its failure message rolls the
  // entry back like any other failure, and a later record of this user that depends on the ticket fails too.
  // The callback holds the entry by its address alone: pending_ keeps it (and this actor: an actor with pending
  // entries does not passivate, and the WAL stops before the ledger) until it has run.
  const wal::WalTicket ticket = service_->wal().submit_group(
      std::move(group), depends_on, [entry](wal::WalStatus status) { on_wal_completion(entry, status); });
  TALLY_ASSERT(ticket > depends_on, "a user's WAL entries are submitted in order");
  pending_.back().ticket = ticket;
}

void UserActor::on_wal_completion(InFlight* in_flight, wal::WalStatus status) {
  // Success needs no message back: the actor drops durable entries the next time it runs. Only a failure must
  // reach it, to roll the speculative entries back.
  if (status == wal::WalStatus::durable) {
    std::shared_ptr<InFlight> self = in_flight->self.lock();
    TALLY_ASSERT(self != nullptr, "an in-flight entry is made through InFlight::hold and held until it completes");
    in_flight->service.durable_batch().stage(std::move(self));
  } else {
    caf::anon_send(caf::actor_cast<caf::actor>(in_flight->owner), wal_done_atom::value, in_flight->seq,
                   static_cast<int>(status));
  }
}

void UserActor::InFlight::prefetch_publish(int step) const {
  switch (step) {
    case 0:
      __builtin_prefetch(txs.data());
      __builtin_prefetch(&slot, 1);  // its balance is written
      return;
    case 1:
      for (const TransactionApplied& tx : txs) __builtin_prefetch(tx.uid.data());
      __builtin_prefetch(items.data(), 1);
      return;
    default:
      for (std::size_t k = 0; k < txs.size(); ++k) service.prefetch_commit(items[k].uid_hash);
      return;
  }
}

// Runs on the WAL thread at its group commit's end, in log order (DurableBatch::publish_staged). Readers see the
// records from here on, so they are published (balance, uids, durable flag) before any answer leaves; the answers
// follow after the batch's events are in the feed. The uids come before the flag: committing one writes the
// entry the actor's timeline points at, and the flag is what hands those entries to the actor.
void UserActor::publish_durable(LedgerService& service, UserSlot& slot, InFlight& in_flight) {
  // A commit below may start a request parked on this uid: its actor's turn runs on a worker, never here.
  TurnHere::forbid_on_this_thread();
  DurableBatch& batch = service.durable_batch();
  const InFlight::Items<TransactionApplied>& txs = in_flight.txs;
  // The WAL thread is the balance's only writer: what it holds is the user's durable balance before this entry.
  feed::FundsState state{slot.balance.load(std::memory_order_relaxed),
                         slot.low_balance_threshold.load(std::memory_order_relaxed)};
  if (service.feed() != nullptr) {
    // The change feed: each transaction judged in log order by the funds rule, numbered when appended.
    for (const TransactionApplied& tx : txs) feed::derive_events(tx, state, batch.events());
  } else {
    for (const TransactionApplied& tx : txs) state.balance += tx.delta();
  }
  slot.balance.store(state.balance, std::memory_order_release);
  for (std::size_t k = 0; k < txs.size(); ++k) {
    TxItem& item = in_flight.items[k];
    item.entry = service.finish_claim(txs[k], item.uid_hash, true);
  }
  in_flight.durable.store(true, std::memory_order_release);
}

void UserActor::InFlight::answer_durable() {
  // Moved into the answer, not copied (a uuid uid is a heap string): once durable, nothing reads a transaction's
  // strings here again. The actor only reads `at` and the amount of entries it has not yet seen durable
  // (durable_balance_at), which a move leaves as they are.
  for (std::size_t k = 0; k < txs.size(); ++k) answer(k, TxResult{Outcome::applied, std::move(txs[k])});
  reply = nullptr;  // its captures (the HTTP responder) need not live as long as the actor's copy
}

void UserActor::on_wal_done(std::uint64_t seq, wal::WalStatus status) {
  TALLY_ASSERT(status != wal::WalStatus::durable, "success is never reported by message");
  drop_durable();
  auto it = pending_.begin();
  while (it != pending_.end() && it->seq != seq) ++it;
  // Each submitted entry fails at most once, and only a failure comes back by message.
  TALLY_ASSERT(it != pending_.end(), "a WAL failure names a pending entry");
  // The WAL completes in submission order and fails every record behind a failed one.
  TALLY_ASSERT(!it->in_flight->durable.load(std::memory_order_acquire), "a record fails only before it is durable");
  roll_back(it, outcome_of(status));
}

void UserActor::roll_back(PendingFifo<Pending>::iterator it, Outcome outcome) {
  std::shared_ptr<InFlight> failed = std::move(it->in_flight);
  pending_.erase(it);
  for (std::size_t k = failed->txs.size(); k-- > 0;) {
    const TransactionApplied& tx = failed->txs[k];
    ledger_->history.erase(tx.at, tx.delta());
    service_->finish_claim(tx, failed->items[k].uid_hash, false);
  }
  for (std::size_t k = 0; k < failed->txs.size(); ++k) failed->answer(k, TxResult{outcome, failed->txs[k]});
}

MinorUnits UserActor::durable_balance_at(UtcMicros at) const {
  MinorUnits balance = ledger_->history.balance_at(at);
  for (const Pending& pending : pending_) {
    const InFlight& f = *pending.in_flight;
    if (f.durable.load(std::memory_order_acquire)) continue;
    for (const TransactionApplied& tx : f.txs)
      if (tx.at <= at) balance -= tx.delta();
  }
  return balance;
}

}  // namespace tally
