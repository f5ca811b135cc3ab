// The routes of running as one shard of many (docs/sharding.md) and the readiness probe: /readyz, and sending a
// request this shard does not own to its owner. rest/ sees the cluster only through shard/cluster_api.hpp.
#pragma once

#include "rest/responder.hpp"
#include "rest/server_state.hpp"

namespace tally::rest {

// /readyz: 200 once recovered and able to write (tallyd listens only after recovery), 503 shutting_down once
// draining. Never asks a peer: a shard is ready on its own.
void answer_ready(const ServerState& state, Responder& responder);

}  // namespace tally::rest
