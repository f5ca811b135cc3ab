// The ledger's front door for the REST layer: creates users, routes each transaction to its user's actor,
// enforces exactly-once by uid / Idempotency-Key, and answers reads of durable state without blocking.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>

#include "actors/claim_index.hpp"
#include "actors/outcomes.hpp"
#include "actors/tx_index.hpp"
#include "actors/user_table.hpp"
#include "ledger/records.hpp"
#include "wal/wal_writer.hpp"

namespace tally {

class LedgerService {
 public:
  // idle_actor_ms: a user actor with nothing in flight and no message for this long hands its state back to
  // the user's slot and quits (0 = never); the next message spawns a new one.
  explicit LedgerService(caf::actor_system& system, std::uint32_t idle_actor_ms = default_idle_actor_ms);
  static constexpr std::uint32_t default_idle_actor_ms = 30'000;
  ~LedgerService();
  LedgerService(const LedgerService&) = delete;
  LedgerService& operator=(const LedgerService&) = delete;

  // The log commands are written to; recovery (restore) runs before it exists.
  void attach(wal::WalWriter& wal) { wal_ = &wal; }

  // --- commands: `reply` runs exactly once, after the outcome is durable (or refused) ---
  void create_user(std::string name, std::string idempotency_key, UserReply reply);
  // tx.at must be set (the server clock when the client gave none); fields are already validated.
  void apply(TransactionApplied tx, TxReply reply);
  // Many independent transactions, each exactly-once as if applied alone; `sink` hears each by its position in
  // `txs` (positions[k] for txs[k]). Items of one user go to its actor as one message and to the WAL as one entry.
  void apply_batch(std::vector<TransactionApplied> txs, std::vector<std::uint32_t> positions,
                   std::shared_ptr<BatchSink> sink);

  // --- reads: durable state only ---
  std::optional<UserView> find_user(UserId id) const;
  std::optional<MinorUnits> balance_now(UserId id) const;  // O(1), no actor hop
  std::optional<TransactionApplied> find_transaction(const std::string& uid) const;
  // false if the user does not exist; otherwise `reply` runs on the user's actor.
  bool balance_at(UserId id, UtcMicros at, BalanceReply reply);

  // --- recovery: before the first command; concurrent calls only for different users (ParallelRestore).
  //     False = the record contradicts the state. ---
  bool restore(const UserCreated& user);
  bool restore(const TransactionApplied& tx);
  // Sizes the transaction index for about this many restored transactions (an estimate: see TxIndex::reserve).
  void reserve_restore(std::size_t transactions);
  // restore(tx) in two parts, so that ParallelRestore can run them on different threads: the user's history
  // (false: unknown user, or the balance rule broken; the user's records in log order, as for restore) and the
  // uid index, many at once, any thread, any order (TxIndex::stage_bulk; a reused uid is reported by
  // settle_uids, which places them and can be shared by `parts` threads: see TxIndex::settle_staged).
  bool restore_balance(const TransactionApplied& tx);
  std::size_t stage_uids(const TransactionApplied* const* txs, std::size_t count) {
    return transactions_.stage_bulk(txs, count);
  }
  std::optional<TransactionApplied> settle_uids(std::size_t part, std::size_t parts) {
    return transactions_.settle_staged(part, parts);
  }

  std::uint64_t user_count() const { return users_.size(); }
  std::size_t transaction_count() const { return transactions_.size(); }

  // Called by user actors (same layer).
  void finish_claim(const TransactionApplied& tx, bool durable);
  std::uint32_t idle_actor_ms() const { return idle_actor_ms_; }
  // A user actor leaves: true (and the ledger is back in its slot) unless a message reached it meanwhile.
  bool passivate(UserSlot& slot, caf::scheduled_actor& self, std::unique_ptr<UserLedger>& ledger);
  std::uint64_t live_actors() const { return live_actors_.load(std::memory_order_relaxed); }
  wal::WalWriter& wal() { return *wal_; }

 private:
  // Spawns the user's actor if it is passive, and enqueues the message, both under the slot's lock.
  template <class... Ts>
  void send_to_user(UserSlot& slot, Ts&&... message);
  // Claims tx's uid for this request. The user's slot when the request goes on; nullptr when it was answered
  // here (a durable uid: replayed or conflict; an unknown user) or parked until a concurrent claim resolves.
  template <class MakeRetry, class Answer>
  UserSlot* claim_for(const TransactionApplied& tx, MakeRetry&& make_retry, Answer&& answer);
  UserView view_of(UserId id, const UserSlot& slot) const;

  caf::actor_system& system_;
  wal::WalWriter* wal_ = nullptr;
  UserTable users_;
  TxIndex transactions_;
  ClaimIndex<UserCreated> idempotency_keys_;
  std::atomic<UserId> next_user_id_{1};
  std::uint32_t idle_actor_ms_;
  std::atomic<std::uint64_t> live_actors_{0};

};

}  // namespace tally
