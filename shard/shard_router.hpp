// One shard of a cluster, as the REST layer sees it: a LedgerApi (the local LedgerService for the users this
// shard owns; rest/ sends other users' requests to their owner before they reach a ledger) and a ClusterApi
// (the layout, forwarding over the PeerClient). tallyd builds one only when --shards > 1.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "ledger/ledger_api.hpp"
#include "ledger/uid_reservations.hpp"
#include "shard/cluster_api.hpp"
#include "shard/peer_client.hpp"
#include "shard/uid_protocol.hpp"

namespace tally::shard {

class ShardRouter final : public LedgerApi, public ClusterApi {
 public:
  // `local` must outlive the router. `peer_secret`: sent as "Authorization: Bearer ..." on this shard's own
  // calls to peer-only routes (TALLY_PEER_SECRET; empty = none).
  ShardRouter(LedgerApi& local, UidReservationStore& reservations, ShardLayout layout, std::string peer_secret);
  ~ShardRouter() override;

  // --- LedgerApi: the local ledger's; transactions through the uid protocol (shard/uid_protocol.hpp) ---
  void create_user(std::string name, std::string idempotency_key, MinorUnits low_balance_threshold, std::string client,
                   UserReply reply) override;
  // A user's own shard's (the REST layer forwards a PATCH of another shard's user to its owner).
  void update_user(UserUpdated update, UserReply reply) override {
    local_.update_user(std::move(update), std::move(reply));
  }
  void apply(TransactionApplied tx, TxReply reply) override;
  void apply_batch(std::vector<TransactionApplied> txs, std::vector<std::uint32_t> positions,
                   std::shared_ptr<BatchSink> sink) override;
  std::optional<UserView> find_user(UserId id) const override { return local_.find_user(id); }
  std::optional<MinorUnits> balance_now(UserId id) const override { return local_.balance_now(id); }
  std::optional<TransactionApplied> find_transaction(const std::string& uid) const override {
    return local_.find_transaction(uid);
  }
  bool balance_at(UserId id, UtcMicros at, BalanceReply reply) override {
    return local_.balance_at(id, at, std::move(reply));
  }
  bool list_transactions(UserId id, HistoryQuery query, HistoryReply reply) override {
    return local_.list_transactions(id, std::move(query), std::move(reply));
  }
  LedgerCounts counts() const override { return local_.counts(); }
  UtcMicros now() const override { return local_.now(); }

  // --- ClusterApi ---
  const ShardLayout& layout() const override { return layout_; }
  void forward(ShardId to, PeerRequest request, PeerReply reply) override;
  std::optional<ShardId> uid_reserved_by(const std::string& uid) const override;
  void find_reserved(std::string uid, std::function<void(const ReservedLookup&)> reply) override {
    protocol_.find_reserved(uid, std::move(reply));
  }
  void serve_peer(PeerRoute route, std::string body, PeerServed reply) override {
    protocol_.serve(route, body, std::move(reply));
  }

  // Stops the peer client: pending peer calls are answered (unreachable / outcome unknown) now.
  void stop() { client_.stop(); }

 private:
  LedgerApi& local_;
  ShardLayout layout_;
  UidReservationStore& reservations_;
  PeerClient client_;
  UidProtocol protocol_;
};

}  // namespace tally::shard
