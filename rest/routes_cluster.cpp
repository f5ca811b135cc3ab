// Readiness and routing to the owning shard. See rest/routes_cluster.hpp.
#include "rest/routes_cluster.hpp"

#include "ledger/limits.hpp"

namespace tally::rest {

void answer_ready(const ServerState& state, Responder& responder) {
  if (state.draining.load(std::memory_order_acquire)) {
    responder.send(503, "{\"error\":{\"code\":\"shutting_down\",\"message\":\"the server is stopping\"}}",
                   limits::http_retry_after_seconds);
    return;
  }
  responder.send(200, "{\"status\":\"ready\"}");
}

}  // namespace tally::rest
