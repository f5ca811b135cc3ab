// Tally's HTTP front. Pistache's TCP layer (its Aio::Reactor threads, Tcp::Transport, Tcp::Peer) reads the
// sockets; requests are parsed at that seam by HttpRequestParser, routed to the ledger (through LedgerApi only),
// and answered later by whichever thread completes the command (never an HTTP thread blocked on an actor).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "auth/key_store.hpp"
#include "feed/feed_log.hpp"
#include "ledger/ledger_api.hpp"
#include "rest/server_state.hpp"
#include "shard/cluster_api.hpp"
#include "telemetry/metrics.hpp"

namespace tally::rest {

struct HttpServerOptions {
  std::string bind = "0.0.0.0";
  std::uint16_t port = 8000;
  int threads = 2;  // Pistache reactor threads
  // Where requests, transactions and connections are counted, and what GET /metrics renders (null: 404 there).
  // Must outlive the server.
  telemetry::Metrics* metrics = nullptr;
  const auth::KeyStore* keys = nullptr;  // API keys (outlives the server); nullptr = open, no keys
  shard::ClusterApi* cluster = nullptr;  // a clustered tallyd's (rest/routes_cluster.hpp); null on a single node
  const feed::FeedLog* feed = nullptr;  // serves /v1/events (and the stream) when set
};

class HttpServer {
 public:
  HttpServer(LedgerApi& ledger, HttpServerOptions options);
  ~HttpServer();

  // Binds and starts serving; throws std::runtime_error (e.g. port in use).
  void start();
  // New requests get 503 from now on; waits until every accepted request was answered or the timeout passes.
  // Returns false on timeout.
  bool drain(std::chrono::milliseconds timeout);
  void stop();

  ServerState& state() { return *state_; }

  class Edge;

 private:
  LedgerApi& ledger_;
  HttpServerOptions options_;
  std::shared_ptr<ServerState> state_;
  auth::KeyStore open_keys_;  // what `keys` defaults to: no key file, every request admitted
  std::unique_ptr<Edge> edge_;
};

}  // namespace tally::rest
