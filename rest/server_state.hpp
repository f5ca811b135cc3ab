// Counters shared by the HTTP server, its connections and every pending answer: what graceful shutdown waits on.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace tally::rest {

struct RestMetrics;  // rest/request_metrics.hpp
class EventsDispatcher;

struct ServerState {
  EventsDispatcher* events = nullptr;      // the change feed's readers (null: no feed); set before serving
  std::atomic<std::int64_t> in_flight{0};  // requests handed to a route and not yet answered
  std::atomic<bool> draining{false};       // new requests get 503 shutting_down
  std::atomic<std::uint64_t> requests{0};  // requests handed to a route since start
  std::atomic<std::size_t> open_connections{0};
  // API keys (rest/request_gate.hpp): answers 401, answers 403, and 401s held back (brute force); /metrics shows
  // them as tally_auth_refusals_total and tally_auth_delayed_total.
  std::atomic<std::uint64_t> auth_unauthorized{0};
  std::atomic<std::uint64_t> auth_forbidden{0};
  std::atomic<std::uint64_t> auth_delayed{0};
  std::shared_ptr<const RestMetrics> metrics;  // null: not measured (set before serving, then read-only)
};

}  // namespace tally::rest
