// The ledger: creates users, routes each transaction to its user's actor, enforces exactly-once by uid /
// Idempotency-Key, and answers reads of durable state without blocking. What it offers is split by caller:
//   LedgerApi      (ledger/ledger_api.hpp)      the REST layer's commands and queries;
//   LedgerRestore  (ledger/ledger_restore.hpp)  recovery's calls, before serving;
//   private, for UserActor only                 finishing a claim, passivation, the WAL.
// The rest here is wiring (construction, attach) for tallyd and the tests.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>

#include "actors/claim_index.hpp"
#include "actors/durable_batch.hpp"
#include "actors/client_names.hpp"
#include "actors/idle_sweep.hpp"
#include "actors/timeline_staging.hpp"
#include "actors/tx_index.hpp"
#include "actors/user_table.hpp"
#include "feed/feed_log.hpp"
#include "ledger/assert.hpp"
#include "ledger/clock.hpp"
#include "ledger/ledger_api.hpp"
#include "ledger/ledger_restore.hpp"
#include "ledger/uid_reservations.hpp"
#include <mutex>
#include <unordered_map>
#include "ledger/limits.hpp"
#include "ledger/records.hpp"
#include "ledger/seeded_hash.hpp"
#include "ledger/user_id_space.hpp"
#include "wal/wal_writer.hpp"

namespace tally {

class UserActor;

class LedgerService final : public LedgerApi, public LedgerRestore, public UidReservationStore {
 public:
  // idle_actor_ms: a user actor with nothing in flight and no message for this long hands its state back to
  // the user's slot and quits (0 = never); the next message spawns a new one. `clock` gives every "now" of the
  // write path (a user's created_at, now()); it must outlive the service. `ids`: the user ids this ledger creates
  // and holds (one shard's, docs/sharding.md; all of them by default).
  explicit LedgerService(caf::actor_system& system, std::uint32_t idle_actor_ms = limits::actor_idle_ms_default,
                         const Clock& clock = system_clock(), UserIdSpace ids = {});
  ~LedgerService() override;
  LedgerService(const LedgerService&) = delete;
  LedgerService& operator=(const LedgerService&) = delete;

  // The log commands are written to; recovery (restore) runs before it exists. Before any command.
  // Its batch end releases what each group commit made durable (actors/durable_batch.hpp).
  void attach(wal::WalWriter& wal);
  // Whether an idle actor's turn for a single PUT or a dated read may run on the thread that sends it
  // (actors/turn_here.hpp; on by default). Before any command.
  void run_turns_on_senders(bool on) { turns_on_senders_ = on; }
  // The change feed that durable records append their events to (docs/notifications.md); none: no events.
  // Before any command, after recovery rebuilt it.
  void attach_feed(feed::FeedLog& feed) { feed_ = &feed; }

  // --- LedgerApi ---
  void create_user(std::string name, std::string idempotency_key, MinorUnits low_balance_threshold, std::string client,
                   UserReply reply) override;
  void update_user(UserUpdated update, UserReply reply) override;
  void apply(TransactionApplied tx, TxReply reply) override;
  // Items of one user go to its actor as one message and to the WAL as one entry.
  void apply_batch(std::vector<TransactionApplied> txs, std::vector<std::uint32_t> positions,
                   std::shared_ptr<BatchSink> sink) override;
  std::optional<UserView> find_user(UserId id) const override;
  std::optional<MinorUnits> balance_now(UserId id) const override;  // O(1), no actor hop
  std::optional<TransactionApplied> find_transaction(const std::string& uid) const override;
  bool balance_at(UserId id, UtcMicros at, BalanceReply reply) override;  // `reply` runs on the user's actor
  bool list_transactions(UserId id, HistoryQuery query, HistoryReply reply) override;  // likewise
  LedgerCounts counts() const override { return {user_count(), transaction_count(), live_actors()}; }
  UtcMicros now() const override { return clock_.now_micros(); }

  // --- UidReservationStore (actors/ledger_service_uids.cpp) ---
  void record_reservation(UidReservation reservation, std::function<void(Outcome)> reply) override;
  std::optional<TransactionApplied> find_reservation(const std::string& uid) const override;

  std::uint64_t user_count() const { return users_.size(); }
  std::size_t transaction_count() const { return transactions_.size(); }
  std::uint64_t live_actors() const { return live_actors_.load(std::memory_order_relaxed); }

 private:
  // --- LedgerRestore: reached only through that facet (recovery) ---
  bool restore(const UserCreated& user) override;
  bool restore(const TransactionApplied& tx) override;
  bool restore(const UidReservation& reservation) override;
  bool apply_reservation(const UidReservation& reservation);  // under reservations_mutex_
  bool restore(const UserUpdated& update) override;
  void reserve_restore(std::size_t transactions) override;
  bool restore_balance(const TransactionApplied& tx) override;
  std::size_t stage_uids(const TransactionApplied* const* txs, std::size_t count) override;
  void prefetch_user(UserId id, int step) const override;
  std::optional<TransactionApplied> settle_uids(std::size_t part, std::size_t parts) override {
    return transactions_.settle_staged(part, parts);
  }
  void build_timelines(std::size_t part, std::size_t parts) override;
  void timelines_built() override { timelines_staged_.clear(); }

  // --- for UserActor only ---
  friend class UserActor;
  // Commits (durable) or releases tx's uid; a commit returns the TxIndex entry, for the user's timeline.
  // The uid's hash is TxIndex::hash_of(tx.uid), carried by the caller (a batch item hashes its uid once).
  const char* finish_claim(const TransactionApplied& tx, UidHash uid_hash, bool durable);
  std::uint32_t idle_actor_ms() const { return idle_actor_ms_; }
  feed::FeedLog* feed() const { return feed_; }
  // WAL thread only: the group commit being completed, for its events and deferred answers.
  DurableBatch& durable_batch() { return durable_batch_; }
  // A user actor leaves: true (and the ledger is back in its slot) unless a message reached it meanwhile.
  bool passivate(UserSlot& slot, caf::scheduled_actor& self, std::unique_ptr<UserLedger>& ledger);
  wal::WalWriter& wal() {
    TALLY_ASSERT(wal_ != nullptr, "a command before attach(): recovery must finish and the WAL be attached");
    return *wal_;
  }

  // The user's actor, spawned (lazily) if it is passive. Under the slot's lock.
  const caf::actor& live_actor(UserSlot& slot);
  // Spawns the user's actor if it is passive, and enqueues the message, both under the slot's lock.
  template <class... Ts>
  void send_to_user(UserSlot& slot, Ts&&... message);
  // The same, but if the actor was idle its turn runs here, now (actors/turn_here.hpp), where this thread may.
  template <class... Ts>
  void send_to_user_here(UserSlot& slot, Ts&&... message);
  // Claims tx's uid for this request. The user's slot when the request goes on; nullptr when it was answered
  // here (a durable uid: replayed or conflict; an unknown user) or parked until a concurrent claim resolves.
  template <class MakeRetry, class Answer>
  UserSlot* claim_for(const TransactionApplied& tx, UidHash uid_hash, MakeRetry&& make_retry, Answer&& answer);
  UserSlot& publish_user(const UserCreated& user);
  UserView view_of(UserId id, const UserSlot& slot) const;
  // Starts loading what claiming a batch item reads: its uid's table slot and its user's slot.
  void prefetch_item(const TransactionApplied& tx, UidHash uid_hash) const;
  // Starts loading what committing a uid reads (its table slot): the WAL thread, a few entries ahead.
  void prefetch_commit(UidHash uid_hash) const { transactions_.prefetch(uid_hash); }
  // The change-feed events of a user record that just became durable (WAL thread), before the slot shows it.
  template <class Record>
  void publish_events(const Record& record, const UserSlot& slot);
  // The idle sweep's visit: an idle check to every live actor of one slice of the users (the slice-th of every
  // `slices` ids); each actor passivates after a period without mail.
  void send_idle_checks(std::uint32_t slice, std::uint32_t slices);

  caf::actor_system& system_;
  const Clock& clock_;
  wal::WalWriter* wal_ = nullptr;
  ClientNames user_clients_;  // UserSlot::client ordinals
  feed::FeedLog* feed_ = nullptr;
  DurableBatch durable_batch_;
  UserTable users_;
  TxIndex transactions_;
  TimelineStaging timelines_staged_;  // recovery's: stage_uids collects, build_timelines inserts
  ClaimIndex<UserCreated> idempotency_keys_;
  UserIdSpace ids_;
  std::atomic<UserId> next_user_id_;
  std::uint32_t idle_actor_ms_;
  bool turns_on_senders_ = true;
  std::atomic<std::uint64_t> live_actors_{0};
  mutable std::mutex reservations_mutex_;
  // uid -> the holding transaction
  std::unordered_map<std::string, TransactionApplied, SeededStringHash> reservations_;
  std::unique_ptr<IdleSweep> idle_sweep_;  // last: its thread reads the members above; none when idle_actor_ms is 0
};

}  // namespace tally
