// Snapshotter: tallyd's background thread that snapshots closed WAL segments once enough accumulated, prunes,
// and on shutdown takes a final snapshot. Failures are logged and retried; they never touch serving.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "disk/data_dir.hpp"
#include "disk/file_system.hpp"
#include "ledger/limits.hpp"
#include "snapshot/snapshot_writer.hpp"
#include "wal/wal_position.hpp"

namespace tally::telemetry {
struct SnapshotMetrics;
}

namespace tally::snapshot {

struct SnapshotterOptions {
  disk::FileSystem* fs = nullptr;
  disk::DataDir data_dir;                          // where the snapshots and the WAL are
  std::function<wal::WalPosition()> wal_position;  // the writer's durable end (WalWriter::position)
  wal::WalPosition covered;                        // the snapshot recovery restored ({0,0}: none)
  std::string restored;                            // its path ("" = none): known valid, not re-read to prune
  // The trigger and the pace (ledger/limits.hpp explains each); tests shorten them.
  std::uint64_t wal_bytes_min = limits::snapshot_wal_bytes_min;
  std::uint64_t rewrite_per_wal_byte_max = limits::snapshot_rewrite_per_wal_byte_max;  // 0: no size-relative wait
  std::chrono::milliseconds check_interval{limits::snapshot_check_interval_ms};
  std::chrono::milliseconds retry_interval{limits::snapshot_retry_interval_ms};
  // Build time, failures, the newest snapshot's time, the backlog (null: not measured). Outlives the snapshotter.
  const telemetry::SnapshotMetrics* metrics = nullptr;
};

class Snapshotter {
 public:
  explicit Snapshotter(SnapshotterOptions options);
  ~Snapshotter();  // stop()
  Snapshotter(const Snapshotter&) = delete;
  Snapshotter& operator=(const Snapshotter&) = delete;

  // Starts the thread: one prune (stray .tmp files), then a check every check_interval.
  void start();
  // Cancels a build in progress (its .tmp is removed) and joins. Idempotent.
  void stop();

  // Synchronous build through `through` (nothing if nothing is new), then prune; logs the outcome. For the
  // final snapshot once the writer has stopped (and for tests). Serialized with the thread's own builds.
  BuildResult snapshot_through(wal::WalPosition through);

  // Bytes in closed segments after the newest snapshot, and the end of the newest closed segment; false if
  // no segment is closed beyond the snapshot (or sizes could not be read).
  bool closed_backlog(std::uint64_t& bytes, wal::WalPosition& closed_end);
  // The backlog that triggers the next build: wal_bytes_min, or more for a large state.
  std::uint64_t trigger_bytes() const;
  wal::WalPosition covered() const;
  std::uint64_t builds() const { return builds_.load(); }
  std::uint64_t failures() const { return failures_.load(); }

 private:
  void run();
  BuildResult build_and_prune_locked(wal::WalPosition through);
  void prune_locked();

  SnapshotterOptions options_;
  mutable std::mutex mutex_;  // guards covered_, stopping_, known_valid_
  std::condition_variable wake_;
  bool stopping_ = false;
  wal::WalPosition covered_;
  std::uint64_t covered_bytes_ = 0;    // size of the newest snapshot file
  std::set<std::string> known_valid_;  // snapshot paths read or written in full by this process
  std::mutex build_mutex_;             // one build or prune at a time
  std::atomic<bool> cancel_{false};
  std::atomic<std::uint64_t> builds_{0}, failures_{0};
  std::mutex join_mutex_;
  std::thread thread_;
};

}  // namespace tally::snapshot
