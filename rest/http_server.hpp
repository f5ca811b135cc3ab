// Tally's HTTP front: a Pistache endpoint whose handler parses, routes to the ledger and returns at once; the
// answer is sent later by whichever thread completes the command (never an HTTP thread blocked on an actor).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "actors/ledger_service.hpp"

namespace Pistache::Http {
class Endpoint;
}

namespace tally::rest {

struct HttpServerOptions {
  std::string bind = "0.0.0.0";
  std::uint16_t port = 8000;
  int threads = 2;
};

// Shared by the handler and every pending reply.
struct ServerState {
  std::atomic<std::int64_t> in_flight{0};
  std::atomic<bool> draining{false};
  std::atomic<std::uint64_t> requests{0};
};

class HttpServer {
 public:
  HttpServer(LedgerService& ledger, HttpServerOptions options);
  ~HttpServer();

  // Binds and starts serving; throws std::runtime_error (e.g. port in use).
  void start();
  // New requests get 503 from now on; waits until every accepted request was answered or the timeout passes.
  // Returns false on timeout.
  bool drain(std::chrono::milliseconds timeout);
  void stop();

  ServerState& state() { return *state_; }

 private:
  LedgerService& ledger_;
  HttpServerOptions options_;
  std::shared_ptr<ServerState> state_;
  std::unique_ptr<Pistache::Http::Endpoint> endpoint_;
};

}  // namespace tally::rest
