// Readiness and routing to the owning shard. See rest/routes_cluster.hpp; batches: rest/routes_cluster_batch.cpp.
#include "rest/routes_cluster.hpp"

#include <optional>
#include <string>

#include <spdlog/spdlog.h>

#include "ledger/limits.hpp"
#include "rest/request_parse.hpp"
#include "rest/response_json.hpp"
#include "rest/routes.hpp"
#include "rest/routes_cluster_batch.hpp"

namespace tally::rest {

void answer_ready(const ServerState& state, Responder& responder) {
  if (state.draining.load(std::memory_order_acquire)) {
    responder.send(503, "{\"error\":{\"code\":\"shutting_down\",\"message\":\"the server is stopping\"}}",
                   limits::http_retry_after_seconds);
    return;
  }
  responder.send(200, "{\"status\":\"ready\"}");
}

shard::PeerRequest peer_request_of(const HttpRequest& request) {
  shard::PeerRequest out;
  out.method = std::string(request.method_name);
  out.target = request.target;
  out.body = request.body;
  out.idempotency_key = request.idempotency_key;
  if (const std::optional<std::string_view> auth = request.header("Authorization")) out.authorization = std::string(*auth);
  return out;
}

ApiError shard_unavailable(shard::ShardId owner, shard::PeerAnswer::Kind kind) {
  std::string message =
      kind == shard::PeerAnswer::Kind::unreachable
          ? "shard " + std::to_string(owner) + " is unreachable; nothing was done, retry later"
          : "shard " + std::to_string(owner) + " did not answer in time; the outcome is unknown: retry the same "
                                               "request (same uid or Idempotency-Key) later";
  return {503, "shard_unavailable", std::move(message)};
}

void relay(Responder& responder, shard::ShardId owner, const shard::PeerAnswer& answer) {
  if (answer.kind != shard::PeerAnswer::Kind::answered) {
    spdlog::warn("shard {}: {}", owner, answer.failure);
    responder.set_shard(owner);
    std::string body;
    append_error(body, shard_unavailable(owner, answer.kind));
    responder.send(503, body, limits::peer_retry_after_seconds);
    return;
  }
  if (answer.owner_shard) responder.set_shard(*answer.owner_shard);
  responder.send(answer.status, answer.body, answer.retry_after_seconds);
}

namespace {

// The shard that owns what the request is about, or nullopt to serve it here (this shard's, or not valid: the
// local endpoint then answers the 4xx).
std::optional<shard::ShardId> owner_of(LedgerApi& ledger, const shard::ShardLayout& layout,
                                       const HttpRequest& request, const std::vector<std::string_view>& parts) {
  if (parts.size() >= 3 && parts[1] == "user") {
    const std::optional<UserId> id = parse_user_id(parts[2]);
    if (id) return layout.owner_of_user(*id);
    return std::nullopt;
  }
  if (parts.size() == 2 && parts[1] == "transaction") {
    TransactionApplied tx;
    if (parse_transaction(request.body, ledger.now(), tx)) return std::nullopt;  // the 4xx is the same anywhere
    return layout.owner_of_user(tx.user_id);
  }
  if (parts.size() == 3 && parts[1] == "transaction") {
    const std::string uid = percent_decode(parts[2]);
    if (!valid_uid(uid)) return std::nullopt;
    if (layout.home_of_uid(uid) != layout.self) return layout.home_of_uid(uid);
    if (const std::optional<TransactionApplied> tx = ledger.find_transaction(uid)) {
      return layout.owner_of_user(tx->user_id);
    }
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

bool route_in_cluster(LedgerApi& ledger, shard::ClusterApi& cluster, const HttpRequest& request,
                      const std::vector<std::string_view>& parts, const ResponderPtr& responder) {
  const shard::ShardLayout& layout = cluster.layout();
  if (parts.size() == 2 && parts[1] == "transactions") {
    put_batch_in_cluster(ledger, cluster, request, responder);
    return true;
  }
  const std::optional<shard::ShardId> owner = owner_of(ledger, layout, request, parts);
  if (!owner || *owner == layout.self) {
    responder->set_shard(owner.value_or(layout.self));
    return false;
  }
  if (request.header(shard::forwarded_header)) {
    send_error(*responder, {500, "shard_misrouted",
                            "shard " + std::to_string(layout.self) + " does not own this request, which another "
                            "shard forwarded here: the shards disagree about the layout (check --peers)"});
    return true;
  }
  const shard::ShardId to = *owner;
  cluster.forward(to, peer_request_of(request),
                  [responder, to](shard::PeerAnswer answer) { relay(*responder, to, answer); });
  return true;
}

}  // namespace tally::rest
