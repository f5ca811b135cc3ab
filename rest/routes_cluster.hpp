// The routes of running as one shard of many (docs/sharding.md), and the readiness probe. rest/ sees the cluster
// only through shard/cluster_api.hpp: a request this shard does not own is sent, as received, to its owner and the
// owner's answer relayed as it is (status, body, Tally-Shard, Retry-After); a batch is split by owner.
#pragma once

#include <string_view>
#include <vector>

#include "ledger/ledger_api.hpp"
#include "rest/api_error.hpp"
#include "rest/http_request.hpp"
#include "rest/responder.hpp"
#include "rest/server_state.hpp"
#include "shard/cluster_api.hpp"

namespace tally::rest {

using ResponderPtr = std::shared_ptr<Responder>;

// /readyz: 200 once recovered and able to write (tallyd listens only after recovery), 503 shutting_down once
// draining. Never asks a peer: a shard is ready on its own.
void answer_ready(const ServerState& state, Responder& responder);

// For an API route (path `parts`) on a clustered tallyd: answers the request by sending it to the shard that
// owns it and returns true, or marks the answer with this shard's number (Tally-Shard) and returns false for the
// caller to serve it locally. A request another shard already forwarded here is never forwarded again: it gets
// 500 shard_misrouted. Batches (PUT|POST /v1/transactions) are always answered here (split by owner).
bool route_in_cluster(LedgerApi& ledger, shard::ClusterApi& cluster, const HttpRequest& request,
                      const std::vector<std::string_view>& parts, const ResponderPtr& responder);

// The peer-only routes (/internal/v1/..., the uid protocol of docs/sharding.md): the body goes to the cluster,
// its answer comes back as it is. A single node (no cluster) answers 400 shard_misrouted.
void serve_peer_route(shard::ClusterApi* cluster, const HttpRequest& request, const ResponderPtr& responder);

// Shared by the single and batch routes: the peer request carrying a client's request as received (body,
// Idempotency-Key, Authorization); answering with what the owner answered, or 503 shard_unavailable (Retry-After).
shard::PeerRequest peer_request_of(const HttpRequest& request);
void relay(Responder& responder, shard::ShardId owner, const shard::PeerAnswer& answer);
ApiError shard_unavailable(shard::ShardId owner, shard::PeerAnswer::Kind kind);

}  // namespace tally::rest
