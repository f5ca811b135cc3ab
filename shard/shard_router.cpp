// ShardRouter: forwarding and the local ledger's commands. See shard/shard_router.hpp and docs/sharding.md.
#include "shard/shard_router.hpp"

#include "ledger/assert.hpp"

namespace tally::shard {

ShardRouter::ShardRouter(LedgerApi& local, UidReservationStore& reservations, ShardLayout layout,
                         std::string peer_secret)
    : local_(local),
      layout_(std::move(layout)),
      reservations_(reservations),
      protocol_(layout_, local_, reservations_, client_, std::move(peer_secret)) {
  TALLY_ASSERT(layout_.peers.size() == layout_.count && layout_.self < layout_.count, "a whole layout");
}

ShardRouter::~ShardRouter() { client_.stop(); }

void ShardRouter::create_user(std::string name, std::string idempotency_key, MinorUnits low_balance_threshold,
                              std::string client, UserReply reply) {
  local_.create_user(std::move(name), std::move(idempotency_key), low_balance_threshold, std::move(client),
                     std::move(reply));
}

void ShardRouter::apply(TransactionApplied tx, TxReply reply) { protocol_.apply(std::move(tx), std::move(reply)); }

void ShardRouter::apply_batch(std::vector<TransactionApplied> txs, std::vector<std::uint32_t> positions,
                              std::shared_ptr<BatchSink> sink) {
  protocol_.apply_batch(std::move(txs), std::move(positions), std::move(sink));
}

void ShardRouter::forward(ShardId to, PeerRequest request, PeerReply reply) {
  TALLY_ASSERT(to < layout_.count && to != layout_.self, "a forward goes to another shard");
  PeerCall call;
  call.method = std::move(request.method);
  call.url = layout_.peers[to] + request.target;
  call.body = std::move(request.body);
  call.headers.push_back(std::string(forwarded_header) + ": " + std::to_string(layout_.self));
  if (request.idempotency_key) call.headers.push_back("Idempotency-Key: " + *request.idempotency_key);
  if (request.authorization) call.headers.push_back("Authorization: " + *request.authorization);
  client_.send(std::move(call), std::move(reply));
}

std::optional<ShardId> ShardRouter::uid_reserved_by(const std::string& uid) const {
  const std::optional<TransactionApplied> held = reservations_.find_reservation(uid);
  if (!held) return std::nullopt;
  return layout_.owner_of_user(held->user_id);
}

}  // namespace tally::shard
