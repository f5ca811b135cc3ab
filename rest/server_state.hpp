// Counters shared by the HTTP server, its connections and every pending answer: what graceful shutdown waits on.
#pragma once

#include <atomic>
#include <cstdint>

namespace tally::rest {

class EventsDispatcher;

struct ServerState {
  EventsDispatcher* events = nullptr;      // the change feed's readers (null: no feed); set before serving
  std::atomic<std::int64_t> in_flight{0};  // requests handed to a route and not yet answered
  std::atomic<bool> draining{false};       // new requests get 503 shutting_down
  std::atomic<std::uint64_t> requests{0};  // requests handed to a route since start
};

}  // namespace tally::rest
