// The HTTP client shards use to reach each other: libcurl's multi interface driven by one thread of its own, so
// no caller ever blocks. Connections are pooled and kept alive by the multi handle (limits::peer_connections_max),
// connects and whole requests are bounded (limits::peer_connect_timeout_ms, limits::peer_request_timeout_ms).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "shard/cluster_api.hpp"

namespace tally::shard {

struct PeerCall {
  std::string method;
  std::string url;  // base URL + target
  std::string body;
  std::vector<std::string> headers;  // whole lines without CRLF: "Idempotency-Key: k"
};

class PeerClient {
 public:
  PeerClient();
  ~PeerClient();  // stops the thread; calls still pending are answered `unreachable` ("shutting down")
  PeerClient(const PeerClient&) = delete;
  PeerClient& operator=(const PeerClient&) = delete;

  // Any thread. `reply` runs once on the client's thread (after `delay_ms` plus the call itself).
  void send(PeerCall call, PeerReply reply, int delay_ms = 0);
  // Runs `task` on the client's thread after `delay_ms` (or at stop(), early).
  void after(int delay_ms, std::function<void()> task) {
    send(
        PeerCall{}, [task = std::move(task)](const PeerAnswer&) { task(); }, delay_ms);
  }
  void stop();

 private:
  struct Pending {
    PeerCall call;
    PeerReply reply;
    std::chrono::steady_clock::time_point due;
  };
  void run();
  void start_due(std::chrono::steady_clock::time_point now);
  void finish_done();
  int poll_timeout_ms(std::chrono::steady_clock::time_point now) const;
  void abandon_all();

  void* multi_ = nullptr;  // CURLM*
  std::mutex mutex_;
  std::deque<Pending> queued_;           // under mutex_
  std::vector<Pending> delayed_;         // client thread only
  std::unordered_set<void*> in_flight_;  // CURL* added to the multi handle; client thread only
  std::vector<void*> spare_;             // finished CURL* handles, reset, for the next calls; client thread only
  static constexpr std::size_t spare_handles_max = 64;
  bool stopping_ = false;  // under mutex_
  std::thread thread_;
};

}  // namespace tally::shard
