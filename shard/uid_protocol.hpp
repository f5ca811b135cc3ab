// The uid protocol (docs/sharding.md): a uid is unique across the cluster because, before a shard applies a
// transaction of its user, the uid's home shard (layout.home_of_uid) durably reserves it for that transaction's
// content. The home refuses (409, the holder's record) a uid its own ledger holds or another transaction holds;
// a reservation that may be stale (its holder crashed, or was refused) is re-judged from the holder's truth:
// applied (taken), still in flight (busy: the caller retries shortly) or absent (the reservation moves).
// When the home is the owner itself there is no network hop and no reservation record: its own uid index decides.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ledger/ledger_api.hpp"
#include "ledger/seeded_hash.hpp"
#include "ledger/uid_reservations.hpp"
#include "shard/cluster_api.hpp"
#include "shard/peer_client.hpp"

namespace tally::shard {

class UidProtocol {
 public:
  UidProtocol(const ShardLayout& layout, LedgerApi& local, UidReservationStore& store, PeerClient& client,
              std::string peer_secret);

  // The owner's side: reserve at the home, then apply on the local ledger (refused: release).
  void apply(TransactionApplied tx, TxReply reply);
  void apply_batch(std::vector<TransactionApplied> txs, std::vector<std::uint32_t> positions,
                   std::shared_ptr<BatchSink> sink);
  // At the uid's home: the reservation's transaction, as its holder has it recorded (ClusterApi::find_reserved).
  void find_reserved(const std::string& uid, std::function<void(const ReservedLookup&)> reply);
  // The peer-only routes.
  void serve(PeerRoute route, const std::string& body, PeerServed reply);

  enum class Verdict { reserved, taken, busy, unavailable };
  using VerdictReply = std::function<void(Verdict, std::optional<TransactionApplied> existing)>;

 private:
  enum class Judgement { applied, pending, absent, unavailable };
  using JudgementReply = std::function<void(Judgement, std::optional<TransactionApplied> record)>;

  void apply_round(std::vector<TransactionApplied> txs, std::vector<std::uint32_t> positions,
                   std::shared_ptr<BatchSink> sink);
  void reserve(TransactionApplied tx, VerdictReply reply, int attempt);
  void decide(TransactionApplied tx, ShardId from, VerdictReply reply);
  void move_reservation(TransactionApplied tx, ShardId from, TransactionApplied held, VerdictReply reply);
  void judge_at(ShardId holder, const TransactionApplied& held, JudgementReply reply);
  Judgement judge_here(const TransactionApplied& held, std::optional<TransactionApplied>& record);
  void release(const TransactionApplied& tx);
  void settle(const TransactionApplied& tx, bool release_if_refused, Outcome outcome);
  void post(ShardId to, const char* path, nlohmann::json body, std::function<void(std::optional<nlohmann::json>)> done);
  void finish_deciding(const std::string& uid);

  void inflight_add(const TransactionApplied& tx);
  void inflight_remove(const TransactionApplied& tx);

  const ShardLayout& layout_;
  LedgerApi& local_;
  UidReservationStore& store_;
  PeerClient& client_;
  std::string peer_secret_;
  std::mutex mutex_;
  std::unordered_multimap<std::string, TransactionApplied, SeededStringHash>
      inflight_;                              // this shard's applies between reserve and answer
  // uids whose reservation this home is changing or judging
  std::unordered_set<std::string, SeededStringHash> deciding_;
};

}  // namespace tally::shard
