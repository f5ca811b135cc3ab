// Readiness and routing to the owning shard. See rest/routes_cluster.hpp; batches: rest/routes_cluster_batch.cpp.
#include "rest/routes_cluster.hpp"

#include <spdlog/spdlog.h>

#include <optional>
#include <string>
#include <utility>

#include "ledger/limits.hpp"
#include "rest/request_parse.hpp"
#include "rest/response_json.hpp"
#include "rest/route_table.hpp"
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
  // The owner judges the client's key itself (and records its name): the forward carries it as it came.
  if (request.authorization_given) out.authorization = std::string(request.authorization);
  return out;
}

ApiError shard_unavailable(shard::ShardId owner, shard::PeerAnswer::Kind kind) {
  std::string message = kind == shard::PeerAnswer::Kind::unreachable
                            ? "shard " + std::to_string(owner) + " is unreachable; nothing was done, retry later"
                            : "shard " + std::to_string(owner) +
                                  " did not answer in time; the outcome is unknown: retry the same "
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
std::optional<shard::ShardId> owner_of(LedgerApi& ledger, const shard::ShardLayout& layout, const HttpRequest& request,
                                       const std::vector<std::string_view>& parts) {
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
  if (parts.size() == 2 && parts[1] == "user" && request.idempotency_key &&
      valid_idempotency_key(*request.idempotency_key)) {
    return layout.home_of_uid(*request.idempotency_key);  // one shard judges each key, like a uid's home
  }
  return std::nullopt;
}

// GET /v1/transaction/{uid} for a uid not recorded here: its home shard knows who holds it (its own index, or the
// reservation naming the holder, which the home asks: a peer query, not a second forward of this request).
void answer_reserved(Responder& responder, const shard::ShardLayout& layout, const shard::ReservedLookup& found) {
  if (found.kind == shard::ReservedLookup::Kind::found) {
    responder.set_shard(layout.owner_of_user(found.record.user_id));
    std::string body;
    append_transaction(body, found.record);
    responder.send(200, body);
  } else if (found.kind == shard::ReservedLookup::Kind::absent) {
    send_error(responder, {404, "transaction_not_found", "no such transaction"});
  } else {
    std::string body;
    append_error(body, shard_unavailable(found.holder, shard::PeerAnswer::Kind::unreachable));
    responder.send(503, body, limits::peer_retry_after_seconds);
  }
}

bool find_transaction_at_home(LedgerApi& ledger, shard::ClusterApi& cluster, const HttpRequest& request,
                              std::string_view uid_text, const ResponderPtr& responder) {
  const shard::ShardLayout& layout = cluster.layout();
  const std::string uid = percent_decode(uid_text);
  if (!valid_uid(uid)) return false;
  if (const std::optional<TransactionApplied> tx = ledger.find_transaction(uid)) {
    responder->set_shard(layout.owner_of_user(tx->user_id));
    return false;
  }
  const shard::ShardId home = layout.home_of_uid(uid);
  if (home != layout.self) {
    if (request.header(shard::forwarded_header)) return false;  // not the home: this shard's truth only (404)
    cluster.forward(home, peer_request_of(request),
                    [responder, home](shard::PeerAnswer answer) { relay(*responder, home, answer); });
    return true;
  }
  cluster.find_reserved(uid, [responder, &layout](const shard::ReservedLookup& found) {
    answer_reserved(*responder, layout, found);
  });
  return true;
}

}  // namespace

void serve_peer_route(shard::ClusterApi* cluster, const HttpRequest& request, const ResponderPtr& responder) {
  const std::string_view path = request.path();
  const RouteMatch match = match_route(request.method_name, path);
  if (match.kind != RouteMatch::Kind::found) {  // not reached: the route table answered already
    send_error(*responder, {404, "route_not_found", "no such route"});
    return;
  }
  if (cluster == nullptr) {
    send_error(*responder, {400, "shard_misrouted", "this tallyd is a single node (--shards 1): it has no peers"});
    return;
  }
  shard::PeerRoute route = shard::PeerRoute::judge_uid;
  if (match.route->id == RouteId::peer_reserve_uid) route = shard::PeerRoute::reserve_uid;
  if (match.route->id == RouteId::peer_release_uid) route = shard::PeerRoute::release_uid;
  cluster->serve_peer(route, request.body,
                      [responder](int status, std::string body) { responder->send(status, body); });
}

bool route_in_cluster(LedgerApi& ledger, shard::ClusterApi& cluster, const HttpRequest& request,
                      const std::vector<std::string_view>& parts, const ResponderPtr& responder) {
  const shard::ShardLayout& layout = cluster.layout();
  if (parts.size() == 2 && parts[1] == "transactions") {
    put_batch_in_cluster(ledger, cluster, request, responder);
    return true;
  }
  if (parts.size() == 3 && parts[1] == "transaction") {
    return find_transaction_at_home(ledger, cluster, request, parts[2], responder);
  }
  const std::optional<shard::ShardId> owner = owner_of(ledger, layout, request, parts);
  if (!owner || *owner == layout.self) {
    responder->set_shard(owner.value_or(layout.self));
    return false;
  }
  if (request.header(shard::forwarded_header)) {
    send_error(*responder, {500, "shard_misrouted",
                            "shard " + std::to_string(layout.self) +
                                " does not own this request, which another "
                                "shard forwarded here: the shards disagree about the layout (check --peers)"});
    return true;
  }
  const shard::ShardId to = *owner;
  cluster.forward(to, peer_request_of(request),
                  [responder, to](shard::PeerAnswer answer) { relay(*responder, to, answer); });
  return true;
}

}  // namespace tally::rest
