// tally-admin verify: each file on its own (so one problem does not hide others), then the real recovery,
// read-only, into a throwaway ledger: its verdict is the exit status, because that is what tallyd will do.
#include <caf/all.hpp>

#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <variant>

#include "actors/ledger_service.hpp"
#include "ledger/utc_time.hpp"
#include "recovery/admin.hpp"
#include "recovery/recover.hpp"
#include "snapshot/snapshot_format.hpp"
#include "snapshot/snapshot_reader.hpp"
#include "wal/record_codec.hpp"
#include "wal/wal_reader.hpp"

namespace tally::admin {
namespace {

// Recovery is single-threaded; the actors only need to exist.
constexpr std::size_t verify_actor_threads = 2;

struct Counts {
  std::uint64_t records = 0, users = 0, transactions = 0;
  std::optional<UtcMicros> first_tx_at, last_tx_at;

  void add(const wal::Record& record) {
    ++records;
    if (const auto* tx = std::get_if<TransactionApplied>(&record)) {
      ++transactions;
      if (!first_tx_at || tx->at < *first_tx_at) first_tx_at = tx->at;
      if (!last_tx_at || tx->at > *last_tx_at) last_tx_at = tx->at;
    } else if (std::holds_alternative<UserCreated>(record)) {
      ++users;
    } else {
      ++transactions;  // a uid reservation counts with the transactions, as in a snapshot's footer
    }
  }
};

std::string describe(std::uint64_t records, std::uint64_t users, std::uint64_t transactions,
                     const std::optional<UtcMicros>& first, const std::optional<UtcMicros>& last) {
  std::string text = std::to_string(records) + " records (" + std::to_string(users) + " users, " +
                     std::to_string(transactions) + " transactions)";
  if (first) text += ", transactions from " + format_iso8601(*first) + " to " + format_iso8601(*last);
  return text;
}

bool check_snapshots(disk::FileSystem& fs, const std::string& dir) {
  std::printf("snapshots in %s\n", dir.c_str());
  snapshot::SnapshotListing listing;
  if (const disk::IoStatus listed = snapshot::list_snapshots(fs, dir, listing); !listed.ok()) {
    std::printf("  PROBLEM: %s\n", listed.message().c_str());
    return false;
  }
  if (listing.snapshots.empty()) std::printf("  none\n");
  bool all_valid = true;
  for (const snapshot::SnapshotFile& file : listing.snapshots) {
    const snapshot::SnapshotRead read = snapshot::validate_snapshot(fs, file.path, snapshot::SnapshotCheck::records);
    if (!read.status.ok()) {
      all_valid = false;
      std::printf("  %s  INVALID: %s\n", file.name.c_str(), read.status.message().c_str());
      continue;
    }
    std::printf("  %s  ok: covers WAL %s; %s; %llu chunks, %llu bytes\n", file.name.c_str(),
                wal::to_string(file.covered).c_str(),
                describe(read.records, read.users, read.transactions, read.first_tx_at, read.last_tx_at).c_str(),
                static_cast<unsigned long long>(read.chunks), static_cast<unsigned long long>(read.bytes));
  }
  for (const std::string& tmp : listing.temp_paths)
    std::printf("  %s  leftover of an interrupted build (removed at the next start)\n", tmp.c_str());
  return all_valid;
}

bool check_wal(disk::FileSystem& fs, const std::string& dir) {
  std::printf("WAL in %s\n", dir.c_str());
  std::map<std::uint64_t, Counts> segments;
  wal::ScanOptions options;
  options.read_only = true;
  const wal::WalScan scan = wal::scan_wal(fs, dir, options, [&](wal::WalPosition at, std::string_view payload) {
    const std::optional<wal::Record> record = wal::decode(payload);
    if (!record) return false;  // the scan then reports this offset
    segments[at.segment].add(*record);
    return true;
  });
  if (scan.first_segment > 1)
    std::printf("  segments before %s were removed (covered by snapshots)\n",
                wal::segment_file_name(scan.first_segment).c_str());
  for (const auto& [number, counts] : segments) {
    std::uint64_t size = 0;  // stays 0 if it cannot be read: the scan above did read it
    static_cast<void>(fs.file_size(wal::segment_path(dir, number), size));
    // The last segment's log ends at the scan's logical end; the file may go on with pre-zeroed room (or a torn
    // tail, reported below): say the log's bytes, and the file's only when they differ.
    const bool last = number == scan.end.segment && size > scan.end.offset;
    const std::string beyond =
        last ? " (file " + std::to_string(size) + " bytes: the rest is zeroed room or torn)" : "";
    std::printf(
        "  %s  %s; %llu bytes%s\n", wal::segment_file_name(number).c_str(),
        describe(counts.records, counts.users, counts.transactions, counts.first_tx_at, counts.last_tx_at).c_str(),
        static_cast<unsigned long long>(last ? scan.end.offset : size), beyond.c_str());
  }
  if (scan.segments == 0) std::printf("  no segments\n");
  if (scan.torn_tail)
    std::printf("  torn tail: %s at byte %llu, %llu bytes (an unacknowledged write; cut at the next start)\n",
                wal::segment_file_name(scan.torn_at.segment).c_str(),
                static_cast<unsigned long long>(scan.torn_at.offset), static_cast<unsigned long long>(scan.torn_bytes));
  else
    std::printf("  torn tail: none\n");
  if (!scan.status.ok()) {
    std::printf("  PROBLEM: %s\n", scan.status.message().c_str());
    return false;
  }
  std::printf("  %llu records in %llu segments, all CRCs good; the log ends at %s\n",
              static_cast<unsigned long long>(scan.records), static_cast<unsigned long long>(scan.segments),
              wal::to_string(scan.end).c_str());
  return true;
}

}  // namespace

int verify(disk::FileSystem& fs, const disk::DataDir& data_dir) {
  const bool snapshots_ok = check_snapshots(fs, data_dir.snapshots());
  const bool wal_ok = check_wal(fs, data_dir.wal());

  std::printf("recovery (read-only)\n");
  caf::actor_system_config config;
  config.set("scheduler.max-threads", verify_actor_threads);
  caf::actor_system actors{config};
  LedgerService ledger(actors);
  recovery::RecoveryOptions options;
  options.data_dir = data_dir;
  options.read_only = true;
  const recovery::RecoveryReport report = recovery::recover(fs, options, ledger);
  for (const std::string& warning : report.warnings) std::printf("  warning: %s\n", warning.c_str());
  if (report.snapshot.empty())
    std::printf("  picks no snapshot: replays the WAL from segment 1\n");
  else
    std::printf("  picks %s (%llu records), then replays the WAL from %s\n", report.snapshot.c_str(),
                static_cast<unsigned long long>(report.snapshot_records),
                wal::to_string(report.snapshot_covered).c_str());
  if (!report.status.ok()) {
    std::printf("  PROBLEM: %s\n", report.status.message().c_str());
    std::printf("FAIL: tallyd would refuse to start from %s\n", data_dir.root().c_str());
    return exit_problem;
  }
  std::printf(
      "  %llu records from the snapshot, %llu from the WAL: %llu users, %llu transactions in %.0f ms; the "
      "writer would append at %s\n",
      static_cast<unsigned long long>(report.snapshot_records), static_cast<unsigned long long>(report.wal_records),
      static_cast<unsigned long long>(report.users), static_cast<unsigned long long>(report.transactions),
      report.millis, wal::to_string(report.end).c_str());
  if (!snapshots_ok || !wal_ok)
    std::printf("OK with warnings: recovery would succeed, but see the problems above\n");
  else
    std::printf("OK: recovery would succeed\n");
  return exit_ok;
}

}  // namespace tally::admin
