// recover_state: recovery::recover with the change feed rebuilt beside it (on_record) and start_over making the
// ledger and the feed afresh, then what recovery found, logged.
#include "app/startup_recovery.hpp"

#include <string>
#include <variant>

#include <spdlog/spdlog.h>

#include "feed/feed_rebuild.hpp"

namespace tally::app {
namespace {

void log_recovery(const recovery::RecoveryReport& report) {
  if (report.torn_bytes_cut > 0) {
    spdlog::warn("cut a torn tail of {} bytes from the last WAL segment (a write cut short by a crash)",
                 report.torn_bytes_cut);
  }
  if (report.snapshot.empty()) {
    spdlog::info("recovery: no snapshot, {} records from the WAL", report.wal_records);
  } else {
    spdlog::info("recovery: snapshot {} ({} records, {:.1f} ms; {} WAL records under it checked) + {} WAL records "
                 "after {}",
                 report.snapshot, report.snapshot_records, report.snapshot_millis, report.wal_checked_records,
                 report.wal_records, wal::to_string(report.snapshot_covered));
  }
  spdlog::info("recovered {} users, {} transactions, {} bytes in {} segments in {:.1f} ms", report.users,
               report.transactions, report.bytes, report.segments, report.millis);
}

}  // namespace

bool recover_state(disk::FileSystem& fs, const disk::DataDir& data_dir,
                   const std::function<std::unique_ptr<LedgerService>()>& make_ledger,
                   std::size_t feed_retention_events, std::uint32_t shard, RecoveredState& state) {
  const auto make_feed = [&] {
    return std::make_unique<feed::FeedLog>(feed_retention_events, static_cast<int>(shard));
  };
  state.ledger = make_ledger();
  state.feed = make_feed();
  auto rebuild = std::make_unique<feed::FeedRebuild>(*state.feed);
  recovery::RecoveryOptions options;
  options.data_dir = data_dir;
  options.on_record = [&rebuild](const wal::Record& record) {
    return std::visit([&rebuild](const auto& r) { return rebuild->add(r); }, record);
  };
  options.start_over = [&]() -> LedgerRestore& {
    // The old ones go first (a half-restored ledger can be most of memory); the rebuild flushes into its feed.
    rebuild.reset();
    state.feed.reset();
    state.ledger.reset();
    state.ledger = make_ledger();
    state.feed = make_feed();
    rebuild = std::make_unique<feed::FeedRebuild>(*state.feed);
    return *state.ledger;
  };
  state.report = recovery::recover(fs, options, *state.ledger);
  rebuild.reset();  // its per-user state is only needed while replaying
  spdlog::debug("restore phase: feed rebuild state freed");  // bench/restart_timeline.py
  for (const std::string& warning : state.report.warnings) spdlog::warn("recovery: {}", warning);
  if (!state.report.status.ok()) {
    spdlog::critical("recovery failed: {}", state.report.status.message());
    spdlog::critical("refusing to start: the log holds data that cannot be read; nothing was changed");
    return false;
  }
  log_recovery(state.report);
  return true;
}

}  // namespace tally::app
