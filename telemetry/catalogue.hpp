// Tally's metrics, grouped by the part of the server that records them: the one list of names (README "Metrics",
// k8s/monitoring/ builds on them). Each group is a struct of handles made from the process's Metrics; its owner
// keeps a pointer to it (null in tests that do not measure). Adding a metric is one line in its group, e.g.
//   Counter feed_events = registry.counter("tally_feed_events_total", "Events the change feed published");
// and one call where it happens (feed_events.add()). Names follow Prometheus: tally_ prefix, base units
// (seconds, bytes), counters end in _total, no per-user labels.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "ledger/outcomes.hpp"
#include "ledger/records.hpp"
#include "telemetry/metrics.hpp"

namespace tally::telemetry {

// Bucket sets, in the unit recorded (see catalogue.cpp for the bounds).
const Buckets& request_latency_buckets();  // nanoseconds: 25 us .. 10 s
const Buckets& sync_latency_buckets();     // nanoseconds: 50 us .. 5 s
const Buckets& slow_task_buckets();        // nanoseconds: 10 ms .. 30 min
const Buckets& batch_size_buckets();       // counts: 1 .. 4096, powers of two

// wal/: the writer thread.
struct WalMetrics {
  Metrics& registry;
  Histogram fdatasync = registry.histogram("tally_wal_fdatasync_duration_seconds",
                                           "Time one group commit's fdatasync took", sync_latency_buckets());
  Histogram group_commit_records = registry.histogram("tally_wal_group_commit_records",
                                                      "Records made durable by one fdatasync (group commit size)",
                                                      batch_size_buckets());
  Counter bytes_written = registry.counter("tally_wal_bytes_written_total",
                                           "Bytes appended to the WAL and made durable");
  Counter storage_full_refusals = registry.counter(
      "tally_storage_full_refusals_total",
      "WAL records refused with storage_full: disk full, quota, or the write queue at its limit");
};

// snapshot/: the snapshotter thread.
struct SnapshotMetrics {
  Metrics& registry;
  Histogram duration = registry.histogram("tally_snapshot_duration_seconds", "Time one snapshot build took",
                                          slow_task_buckets());
  Counter failures = registry.counter("tally_snapshot_failures_total", "Snapshot builds that failed or were cancelled");
  Gauge last_success = registry.gauge("tally_snapshot_last_success_timestamp_seconds",
                                      "Unix time of the newest complete snapshot (restored or written)");
  Gauge backlog_bytes = registry.gauge("tally_snapshot_backlog_bytes",
                                       "Closed WAL bytes no snapshot covers yet (measured every check interval)");
  Gauge trigger_bytes = registry.gauge("tally_snapshot_trigger_bytes", "Backlog at which the next snapshot starts");
};

// rest/request_gate: the API key check (docs/security.md).
inline constexpr const char* auth_refusals_help =
    "Requests the API key check refused: code 401 (no, malformed or unknown key), 403 (a key without the scope)";
struct AuthMetrics {
  Metrics& registry;
  Counter unauthorized = registry.counter("tally_auth_refusals_total", auth_refusals_help, {{"code", "401"}});
  Counter forbidden = registry.counter("tally_auth_refusals_total", auth_refusals_help, {{"code", "403"}});
  Counter delayed = registry.counter("tally_auth_delayed_total",
                                     "401 answers held back because their address failed too often (brute force)");
};

// app/: once per process.
struct ProcessMetrics {
  Metrics& registry;
  Gauge recovery_duration = registry.gauge("tally_recovery_duration_seconds",
                                           "Time the last start took to restore the snapshot and replay the WAL");
  Gauge recovered_records = registry.gauge("tally_recovery_wal_records", "WAL records replayed by the last start");
  Gauge build_info = registry.gauge("tally_build_info", "Always 1; the version of this tallyd",
                                    {{"version", build_version()}});
  Gauge start_time = registry.gauge("tally_start_time_seconds", "Unix time this tallyd started serving");

  static std::string build_version();
};

// rest/: every routed request, by route template (`route_labels` from the route table, then "none" for requests
// no route took) and status class.
class HttpMetrics {
 public:
  HttpMetrics(Metrics& registry, const std::vector<std::string>& route_labels);
  std::size_t none_label() const { return duration_.size() - 1; }
  // A request's start: 0 (no clock read) when metrics are off.
  std::int64_t start() const noexcept { return duration_.front().start(); }
  void record(std::size_t route_label, int status, std::int64_t started_ns) const noexcept;

 private:
  std::vector<std::array<Counter, 5>> requests_;  // [route][status / 100 - 1]
  std::vector<Histogram> duration_;               // [route]
};

// rest/: every transaction a request carried (a batch counts each item), by type and result: the ledger's
// outcome (applied, replayed, conflict, insufficient_funds, ...), or invalid when the API refused it first.
class TransactionMetrics {
 public:
  explicit TransactionMetrics(Metrics& registry);
  void count(TxKind kind, Outcome outcome) const noexcept;
  void count_invalid(std::uint64_t n = 1) const noexcept { invalid_.add(n); }

  static constexpr std::size_t results_max = 16;

 private:
  std::array<std::array<Counter, results_max>, 2> by_result_;  // [kind][outcome]
  Counter invalid_;
};

// The label value of an outcome ("insufficient_funds"): the same words as the API's error codes.
const char* result_label(Outcome outcome);

}  // namespace tally::telemetry
