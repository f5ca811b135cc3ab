// The API-key check at the edge (docs/security.md): the route table's hook asks the gate whether a request may
// reach its route's scope. A refusal is answered here: 401 unauthorized with WWW-Authenticate (after a bounded
// delay for a peer address that keeps failing, released by the edge's tick, never by a sleeping thread) or 403
// forbidden naming the scope needed. Neither the secret nor its digest is ever logged or echoed.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "auth/failure_throttle.hpp"
#include "auth/key_store.hpp"
#include "auth/scope.hpp"
#include "rest/http_request.hpp"
#include "rest/responder.hpp"
#include "rest/server_state.hpp"

namespace tally::rest {

using ResponderPtr = std::shared_ptr<Responder>;

// The header a delayed 401 carries (its value: the delay in ms), so a client (and the tests) can tell.
inline constexpr std::string_view auth_delay_header = "Tally-Auth-Delay-Ms";

class RequestGate {
 public:
  // `keys` outlives the gate; open (KeyStore{}) admits everything. Refusals are counted in `state`.
  RequestGate(const auth::KeyStore& keys, ServerState& state) : keys_(keys), state_(state) {}

  // true: refused and answered (or to be answered by tick()); false: admitted, `client` = its name ("" if open).
  bool refuse(auth::Scope needed, const HttpRequest& request, const ResponderPtr& responder, std::string& client);

  // Sends the delayed answers whose time has come (monotonic ms); the edge's listener thread calls it.
  void tick(std::int64_t now_ms);

 private:
  struct Delayed {
    std::int64_t release_ms;
    ResponderPtr responder;
    std::string body;
    std::string headers;
  };

  const auth::KeyStore& keys_;
  ServerState& state_;
  auth::FailureThrottle throttle_;
  std::mutex mutex_;
  std::vector<Delayed> delayed_;  // each an answer its connection still waits for: bounded by the connections'
                                  // pipelines
};

}  // namespace tally::rest
