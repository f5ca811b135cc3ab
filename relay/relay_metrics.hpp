// tally-relay's own Prometheus metrics (it is a separate process from tallyd), served at
// http://<address>:<port>/metrics when --metrics-port is given (prometheus-cpp's pull exposer):
//   tally_relay_last_acked_seq{shard}    the newest seq the stream has acknowledged (every earlier one is in it)
//   tally_relay_last_seen_seq{shard}     the newest seq tallyd has handed the relay
//   tally_relay_lag_events{shard}        seen minus acked: events read from tallyd not yet in the stream
//   tally_relay_published_events_total, tally_relay_publish_retries_total, tally_relay_source_failures_total
// The backlog still inside tallyd (beyond the page the relay is reading) is tallyd's tally_feed_newest_seq minus
// tally_relay_last_acked_seq (docs/notifications.md, "Relay metrics").
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace tally::relay {

class RelayMetrics {
 public:
  // port 0: no endpoint (the figures are still kept). Throws if the port cannot be bound.
  RelayMetrics(const std::string& address, int port);
  ~RelayMetrics();
  RelayMetrics(const RelayMetrics&) = delete;
  RelayMetrics& operator=(const RelayMetrics&) = delete;

  void seen(int shard, std::uint64_t seq);
  void acked(int shard, std::uint64_t seq, std::uint64_t events);
  void publish_retry();
  void source_failure();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tally::relay
