// What the REST layer may ask of a ledger: commands, answered later through a callback, and reads of durable
// state, answered at once. Everything in front of the ledger (the REST layer today; a shard router, which would
// implement this by forwarding to the shard that owns a user; a change feed or metrics beside it) depends on this
// interface alone. Plain value types only: nothing of CAF, the WAL or the indexes, and no reference into the
// implementation survives a call (results are copies; a callback's argument is valid during the callback).
// Recovery has its own facet (ledger/ledger_restore.hpp); the calls user actors make stay inside actors/.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ledger/history_page.hpp"
#include "ledger/outcomes.hpp"
#include "ledger/records.hpp"

namespace tally {

// /healthz's counts: O(1) reads.
struct LedgerCounts {
  std::uint64_t users = 0;
  std::uint64_t transactions = 0;  // durable
  std::uint64_t live_actors = 0;   // users whose actor is running (not passivated)
};

class LedgerApi {
 public:
  virtual ~LedgerApi() = default;

  // --- commands: `reply` (`sink` per item) runs exactly once, after the outcome is durable (or refused) ---
  // idempotency_key "" = none; otherwise a key used before answers `replayed` (same name and threshold) or
  // `conflict`, with the original user (its original client too). low_balance_threshold: already validated
  // (valid_threshold). `client`: the API client's name, stored ("" = none).
  virtual void create_user(std::string name, std::string idempotency_key, MinorUnits low_balance_threshold,
                           std::string client, UserReply reply) = 0;
  // A user's settings (update.at is set here; update.client is the API client's name, "" = none): `applied` with
  // the updated user once durable, or user_not_found.
  virtual void update_user(UserUpdated update, UserReply reply) = 0;
  // tx.at must be set (now() when the client gave none); fields are already validated (ledger/record_checks.hpp).
  virtual void apply(TransactionApplied tx, TxReply reply) = 0;
  // Many independent transactions, each exactly-once as if applied alone: `sink` hears txs[k] as positions[k]
  // (the caller's numbering, so a router may split a batch and hand every part the same sink). Items of one
  // user are applied in the order given.
  virtual void apply_batch(std::vector<TransactionApplied> txs, std::vector<std::uint32_t> positions,
                           std::shared_ptr<BatchSink> sink) = 0;

  // --- reads: durable state only; any thread ---
  virtual std::optional<UserView> find_user(UserId id) const = 0;
  virtual std::optional<MinorUnits> balance_now(UserId id) const = 0;
  virtual std::optional<TransactionApplied> find_transaction(const std::string& uid) const = 0;
  // false (and `reply` never runs) if the user does not exist; otherwise `reply` runs once, later.
  virtual bool balance_at(UserId id, UtcMicros at, BalanceReply reply) = 0;
  // One page of the user's durable transactions (ledger/history_page.hpp), O(log n + page) on the user's own
  // history. false (and `reply` never runs) if the user does not exist; otherwise `reply` runs once, later.
  virtual bool list_transactions(UserId id, HistoryQuery query, HistoryReply reply) = 0;
  virtual LedgerCounts counts() const = 0;

  // The ledger's clock (ledger/clock.hpp): what fills an absent timestamp and bounds a future one.
  virtual UtcMicros now() const = 0;
};

}  // namespace tally
