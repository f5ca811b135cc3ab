// Snapshotter thread: wakes every check_interval, measures the closed WAL behind the newest snapshot and builds
// when it passes wal_bytes_min. Only segments before the writer's current one are read: closed and durable.
#include "snapshot/snapshotter.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "ledger/assert.hpp"
#include "ledger/utc_time.hpp"
#include "telemetry/catalogue.hpp"
#include "snapshot/retention.hpp"
#include "snapshot/snapshot_format.hpp"

namespace tally::snapshot {
namespace {

std::string base_name(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

Snapshotter::Snapshotter(SnapshotterOptions options) : options_(std::move(options)), covered_(options_.covered) {
  if (options_.fs == nullptr) options_.fs = &disk::posix_file_system();
  if (!options_.restored.empty()) {
    known_valid_.insert(options_.restored);
    // Best effort: an unknown size (0) only lets the next snapshot come sooner.
    static_cast<void>(options_.fs->file_size(options_.restored, covered_bytes_));
  }
  if (options_.metrics) options_.metrics->trigger_bytes.set(static_cast<double>(trigger_bytes()));
}

Snapshotter::~Snapshotter() { stop(); }

void Snapshotter::start() {
  std::lock_guard<std::mutex> lock(join_mutex_);
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void Snapshotter::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cancel_ = true;
  wake_.notify_all();
  std::lock_guard<std::mutex> lock(join_mutex_);
  if (thread_.joinable()) thread_.join();
  cancel_ = false;  // the thread is gone: a final snapshot_through() must be able to run to the end
}

wal::WalPosition Snapshotter::covered() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return covered_;
}

std::uint64_t Snapshotter::trigger_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (options_.rewrite_per_wal_byte_max == 0) return options_.wal_bytes_min;
  return std::max(options_.wal_bytes_min, covered_bytes_ / options_.rewrite_per_wal_byte_max);
}

bool Snapshotter::closed_backlog(std::uint64_t& bytes, wal::WalPosition& closed_end) {
  const wal::WalPosition now = options_.wal_position();
  const wal::WalPosition covered = this->covered();
  if (now.segment <= 1) return false;
  const std::uint64_t newest_closed = now.segment - 1;
  const std::uint64_t first = std::max<std::uint64_t>(covered.segment, 1);
  if (newest_closed < first) return false;
  std::uint64_t total = 0, size = 0;
  for (std::uint64_t segment = first; segment <= newest_closed; ++segment) {
    if (!options_.fs->file_size(wal::segment_path(options_.data_dir.wal(), segment), size).ok()) return false;
    total += segment == covered.segment ? size - std::min(size, covered.offset) : size;
  }
  closed_end = wal::WalPosition{newest_closed, size};
  if (!position_before(covered, closed_end)) return false;
  bytes = total;
  return true;
}

BuildResult Snapshotter::snapshot_through(wal::WalPosition through) {
  std::lock_guard<std::mutex> lock(build_mutex_);
  if (!position_before(covered(), through)) {
    BuildResult result;
    result.outcome = BuildResult::Outcome::nothing_new;
    result.covered = through;
    return result;
  }
  return build_and_prune_locked(through);
}

BuildResult Snapshotter::build_and_prune_locked(wal::WalPosition through) {
  BuildResult result = build_snapshot(*options_.fs, options_.data_dir, through, &cancel_);
  for (const std::string& warning : result.warnings) spdlog::warn("snapshot: {}", warning);
  switch (result.outcome) {
    case BuildResult::Outcome::built: {
      ++builds_;
      if (const telemetry::SnapshotMetrics* metrics = options_.metrics) {
        metrics->duration.observe(static_cast<std::uint64_t>(result.millis * 1e6));  // buckets in nanoseconds
        metrics->last_success.set(static_cast<double>(utc_now_micros()) / 1e6);
      }
      spdlog::info(
          "snapshot {}: {} records ({} users, {} transactions; {} from the WAL after {}), {} bytes in "
          "{:.0f} ms",
          base_name(result.path), result.records, result.users, result.transactions, result.wal_records,
          result.base.empty() ? std::string("segment 1") : base_name(result.base), result.bytes, result.millis);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        TALLY_ASSERT(position_before(covered_, result.covered), "each snapshot covers more of the WAL than the last");
        covered_ = result.covered;
        covered_bytes_ = result.bytes;
        known_valid_.insert(result.path);
        if (!result.base.empty()) known_valid_.insert(result.base);
      }
      prune_locked();
      break;
    }
    case BuildResult::Outcome::nothing_new: {
      std::lock_guard<std::mutex> lock(mutex_);
      if (position_before(covered_, through)) covered_ = through;  // the WAL before `through` adds nothing
      break;
    }
    case BuildResult::Outcome::failed:
      ++failures_;
      if (options_.metrics) options_.metrics->failures.add();
      if (cancel_) {
        spdlog::info("snapshot through WAL {} cancelled by shutdown", to_string(through));
        break;
      }
      spdlog::warn("snapshot through WAL {} failed (serving is not affected; nothing was deleted): {}",
                   to_string(through), result.status.message());
      break;
  }
  return result;
}

void Snapshotter::prune_locked() {
  std::set<std::string> known;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    known = known_valid_;
  }
  const PruneResult pruned = prune(*options_.fs, options_.data_dir, known);
  for (const std::string& warning : pruned.warnings) spdlog::warn("snapshot retention: invalid snapshot: {}", warning);
  if (!pruned.status.ok()) spdlog::warn("snapshot retention stopped: {}", pruned.status.message());
  if (!pruned.removed.empty())
    spdlog::info("snapshot retention: removed {} WAL segments, {} snapshots, {} temporary files; keeping {}",
                 pruned.wal_segments_removed, pruned.snapshots_removed, pruned.temps_removed,
                 pruned.kept.empty() ? std::string("-")
                                     : base_name(pruned.kept.front()) +
                                           (pruned.kept.size() > 1 ? " and " + base_name(pruned.kept.back()) : ""));
  std::lock_guard<std::mutex> lock(mutex_);
  known_valid_.clear();
  known_valid_.insert(pruned.kept.begin(), pruned.kept.end());
}

void Snapshotter::run() {
  {
    std::lock_guard<std::mutex> lock(build_mutex_);
    prune_locked();
  }
  auto next_allowed = std::chrono::steady_clock::now();
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait_for(lock, options_.check_interval, [this] { return stopping_; });
      if (stopping_) return;
    }
    if (std::chrono::steady_clock::now() < next_allowed) continue;
    std::uint64_t backlog = 0;
    wal::WalPosition closed_end;
    const bool closed = closed_backlog(backlog, closed_end);
    if (options_.metrics) {
      options_.metrics->backlog_bytes.set(closed ? static_cast<double>(backlog) : 0.0);
      options_.metrics->trigger_bytes.set(static_cast<double>(trigger_bytes()));
    }
    if (!closed || backlog < trigger_bytes()) continue;
    std::lock_guard<std::mutex> lock(build_mutex_);
    if (cancel_) return;
    if (!position_before(covered(), closed_end)) continue;  // a snapshot_through() got there first
    const BuildResult result = build_and_prune_locked(closed_end);
    if (result.outcome == BuildResult::Outcome::failed)
      next_allowed = std::chrono::steady_clock::now() + options_.retry_interval;
  }
}

}  // namespace tally::snapshot
