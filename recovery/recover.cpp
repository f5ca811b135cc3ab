// recover(): newest valid snapshot (older ones as fallback), then the WAL from its covered position; any record
// that does not decode or contradicts the state rebuilt so far stops recovery at that record's offset.
#include "recovery/recover.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <functional>
#include <future>
#include <thread>
#include <utility>
#include <variant>

#include <pthread.h>
#include <spdlog/spdlog.h>

#include "ledger/assert.hpp"
#include "recovery/parallel_restore.hpp"
#include "snapshot/snapshot_format.hpp"
#include "snapshot/snapshot_reader.hpp"
#include "snapshot/wal_range.hpp"
#include "wal/record_codec.hpp"
#include "wal/wal_reader.hpp"

namespace tally::recovery {
namespace {

constexpr char stale_suffix[] = ".stale";

using Clock = std::chrono::steady_clock;

double millis_since(Clock::time_point started) {
  return std::chrono::duration<double, std::milli>(Clock::now() - started).count();
}

// Records go to the ledger through ParallelRestore: each user's records in log order, users in parallel.
// Moved, not copied, and `record` comes back holding a spent record whose strings the next decode_into reuses:
// no uid is allocated per record.
bool feed(ParallelRestore& restorer, const RecoveryOptions& options, wal::Record& record) {
  if (options.on_record && !options.on_record(record)) return false;
  return restorer.add_recycling(record);
}

// The reading thread decodes and checks CRCs while workers apply; on 2 cores one worker is the pipeline that
// measured best (two workers plus the reader only contended).
unsigned restore_threads() {
  const unsigned cores = std::max(2u, std::thread::hardware_concurrency());
  return std::min(4u, cores - 1);
}

// First and last segment present, and the last one's size (all 0 for an empty or missing directory).
struct WalExtent {
  std::uint64_t first = 0, last = 0, last_size = 0;
};

disk::IoStatus wal_extent(disk::FileSystem& fs, const std::string& wal_dir, WalExtent& out) {
  std::vector<std::string> names;
  if (disk::IoStatus listed = fs.list(wal_dir, names); !listed.ok()) {
    if (listed.not_found()) return {};
    return listed;
  }
  for (const std::string& name : names) {
    std::uint64_t number = 0;
    if (!wal::parse_segment_file_name(name, number)) continue;
    if (out.first == 0 || number < out.first) out.first = number;
    if (number > out.last) out.last = number;
  }
  if (out.last == 0) return {};
  return fs.file_size(wal::segment_path(wal_dir, out.last), out.last_size);
}

// Sizing the uid index once, before replay, spares it regrowing (and rehashing) while millions of records
// arrive. A transaction record with a uuid-shaped uid takes 120 bytes of WAL (frame + Cap'n Proto message),
// user records fewer, so WAL bytes / 120 is close for typical logs; an over-estimate costs ~10 bytes of table
// per transaction guessed, bounded here: at most one per 120 bytes of log, and never a table bigger than 1/16
// of the machine's memory, however big a log of unusual records (long names, few transactions) is.
constexpr std::uint64_t wal_bytes_per_transaction = 120;
constexpr std::uint64_t table_bytes_per_transaction = 10;  // TxIndex: 8-byte slots at a load of 0.8
constexpr std::uint64_t snapshot_bytes_per_record_min = 16;  // a List(Data) element: pointer + one word

// WAL bytes from `from` to the end of the log (segments numbered from.segment on).
// An estimate: a directory or size that cannot be read counts as nothing (the scan reports it properly).
std::uint64_t wal_bytes_after(disk::FileSystem& fs, const std::string& wal_dir, wal::WalPosition from) {
  std::vector<std::string> names;
  if (!fs.list(wal_dir, names).ok()) return 0;
  std::uint64_t total = 0;
  for (const std::string& name : names) {
    std::uint64_t number = 0, size = 0;
    if (!wal::parse_segment_file_name(name, number) || number < from.segment) continue;
    if (!fs.file_size(wal_dir + "/" + name, size).ok()) continue;
    total += number == from.segment ? size - std::min(size, from.offset) : size;
  }
  return total;
}

// Transactions in a snapshot: a validated one's footer total (checked against the record count, itself bound by
// the size); an unvalidated one's footer total read from its end (bound by the size alone), or without a good
// footer its size at a WAL record's bytes (its records are the WAL's bytes, in a list).
std::uint64_t snapshot_transactions(disk::FileSystem& fs, const snapshot::SnapshotRead& snapshot, bool validated) {
  const std::uint64_t bound = snapshot.bytes / snapshot_bytes_per_record_min;
  if (validated) return std::min(snapshot.transactions, bound);
  const std::optional<std::uint64_t> claimed = snapshot::footer_transactions(fs, snapshot.path);
  return claimed ? std::min(*claimed, bound) : snapshot.bytes / wal_bytes_per_transaction;
}

void reserve_transactions(LedgerRestore& ledger, disk::FileSystem& fs, const std::string& wal_dir,
                          wal::WalPosition from, std::uint64_t snapshot_transactions) {
  std::uint64_t estimate = wal_bytes_after(fs, wal_dir, from) / wal_bytes_per_transaction + snapshot_transactions;
  const long pages = ::sysconf(_SC_PHYS_PAGES), page_bytes = ::sysconf(_SC_PAGESIZE);
  if (pages > 0 && page_bytes > 0) {
    const std::uint64_t memory = static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_bytes);
    estimate = std::min(estimate, memory / 16 / table_bytes_per_transaction);
  }
  ledger.reserve_restore(static_cast<std::size_t>(estimate));
}

}  // namespace

namespace {

using BeforeValidating = std::function<void(const snapshot::SnapshotFile&, std::uint64_t wal_first_segment)>;

// pick_snapshot, telling `before_validating` about the newest snapshot not ahead of the WAL (the one picked
// unless it proves damaged) and the WAL's first segment, before the checksummed read that validates it.
// Without `validate`, that newest one is picked unread (its read says only its size): the restore validates it.
// Snapshots in `skip` (found invalid by such a restore) are passed over.
SnapshotPick pick_snapshot_with(disk::FileSystem& fs, const disk::DataDir& data_dir,
                                const BeforeValidating& before_validating, bool validate = true,
                                const std::vector<std::string>& skip = {}) {
  SnapshotPick pick;
  snapshot::SnapshotListing listing;
  pick.status = snapshot::list_snapshots(fs, data_dir.snapshots(), listing);
  if (!pick.status.ok()) return pick;
  WalExtent extent;
  pick.status = wal_extent(fs, data_dir.wal(), extent);
  if (!pick.status.ok()) return pick;
  pick.wal_first_segment = extent.first;
  bool told = false;  // before_validating: only for the first snapshot validated
  for (const snapshot::SnapshotFile& file : listing.snapshots) {
    // The log's last segment ends before this snapshot's position: the WAL lost its end (a torn tail, cut
    // or about to be) after the snapshot was taken. The writer will append at the WAL's end, so using this
    // snapshot now, or ever again, would skip or misread records: fall back, and retire it.
    if (file.covered.segment == extent.last && extent.last_size < file.covered.offset) {
      pick.stale.push_back(file.path);
      pick.warnings.push_back(file.path + ": covers the WAL up to " + wal::to_string(file.covered) +
                              " but that segment now ends at byte " + std::to_string(extent.last_size) +
                              ": not used (the WAL decides where the log ends)");
      continue;
    }
    if (std::find(skip.begin(), skip.end(), file.path) != skip.end()) continue;
    if (before_validating && !told) before_validating(file, extent.first);
    told = true;
    if (!validate) {
      pick.chosen = file;
      pick.chosen_read.path = file.path;
      pick.chosen_read.covered = file.covered;
      // Only the reservation's estimate: an unreadable file fails its restore and is skipped then.
      if (!fs.file_size(file.path, pick.chosen_read.bytes).ok()) pick.chosen_read.bytes = 0;
      break;
    }
    const snapshot::SnapshotRead read = snapshot::validate_snapshot(fs, file.path);
    if (read.status.ok()) {
      pick.chosen = file;
      pick.chosen_read = read;
      break;
    }
    pick.warnings.push_back("invalid snapshot skipped: " + read.status.message());
  }
  return pick;
}

// The check of the WAL kept under a snapshot (see restore_snapshot): reads and CRC-checks [first, covered).
std::future<snapshot::WalRange> check_wal_under(disk::FileSystem& fs, const std::string& wal_dir,
                                                std::uint64_t first, wal::WalPosition covered) {
  if (first == 0 || first > covered.segment) return {};
  return std::async(std::launch::async, [&fs, &wal_dir, first, covered] {
    pthread_setname_np(pthread_self(), "tally-walcheck");
    return snapshot::read_wal_range(fs, wal_dir, wal::WalPosition{first, 0}, covered, snapshot::WalRangeVisitor());
  });
}

}  // namespace

SnapshotPick pick_snapshot(disk::FileSystem& fs, const disk::DataDir& data_dir) {
  return pick_snapshot_with(fs, data_dir, nullptr);
}

namespace {

enum class SnapshotOutcome {
  restored,  // or none to restore (report.snapshot empty)
  refused,   // report.status says why
  invalid,   // restored in part, then found invalid (start_over mode): report.status says where
};

// Restores the picked snapshot after checking the WAL it leaves in place.
SnapshotOutcome restore_snapshot(disk::FileSystem& fs, const RecoveryOptions& options, LedgerRestore& ledger,
                                 ParallelRestore& restorer, const std::vector<std::string>& skip,
                                 RecoveryReport& report, std::string& found_invalid) {
  const std::string& wal_dir = options.data_dir.wal();
  // The WAL kept under the snapshot is the fallback if the snapshot is ever lost: damage there is refused
  // now, as anywhere in acknowledged data, instead of surfacing the day it is needed. The check only reads,
  // so it runs beside the restore; a failure still refuses the start (the restored ledger is thrown away).
  // It starts before the newest snapshot is validated (a read of the whole file that nothing else overlaps),
  // for the range under that one; if another is picked, that check is dropped and the right one started.
  std::future<snapshot::WalRange> check;
  std::string check_for;
  // With start_over the snapshot is validated by the read that restores it (one read of the file, not two).
  const bool validate_first = !options.start_over;
  const SnapshotPick pick = pick_snapshot_with(
      fs, options.data_dir,
      [&](const snapshot::SnapshotFile& newest, std::uint64_t first) {
        check = check_wal_under(fs, wal_dir, first, newest.covered);
        check_for = newest.path;
      },
      validate_first, skip);
  report.warnings = pick.warnings;
  report.stale_snapshots = pick.stale;
  if (!pick.status.ok()) {
    report.status = pick.status;
    return SnapshotOutcome::refused;
  }
  if (!pick.chosen) return SnapshotOutcome::restored;
  const snapshot::SnapshotFile* chosen = &*pick.chosen;
  if (chosen->path != check_for) {
    if (check.valid()) check.wait();  // the newest snapshot's range: not this one's
    check = check_wal_under(fs, wal_dir, pick.wal_first_segment, chosen->covered);
  }
  spdlog::debug("restore phase: snapshot {} picked", chosen->path);  // bench/restart_timeline.py
  reserve_transactions(ledger, fs, wal_dir, chosen->covered,
                       snapshot_transactions(fs, pick.chosen_read, validate_first));
  const snapshot::SnapshotRead read = snapshot::read_snapshot(fs, chosen->path, [&](const snapshot::SnapshotRecord& r) {
    return feed(restorer, options, *r.record);
  });
  spdlog::debug("restore phase: snapshot's records read");
  if (!validate_first && read.invalid) {  // the WAL check no longer matters: this snapshot is not used
    report.status = read.status;
    found_invalid = chosen->path;
    return SnapshotOutcome::invalid;
  }
  if (check.valid()) {
    snapshot::WalRange checked = check.get();
    spdlog::debug("restore phase: WAL under the snapshot checked");
    if (!checked.status.ok()) {
      report.status = std::move(checked.status.append(" (under snapshot " + chosen->name + ")"));
      return SnapshotOutcome::refused;
    }
    report.wal_checked_records = checked.records;
  }
  if (!read.status.ok()) {
    report.status = read.status;
    if (!restorer.error().empty()) report.status.append(": " + restorer.error());
    return SnapshotOutcome::refused;
  }
  TALLY_ASSERT(same_position(read.covered, chosen->covered), "a restored snapshot covers what its name says");
  report.snapshot = chosen->path;
  report.snapshot_covered = chosen->covered;
  report.snapshot_records = read.records;
  return SnapshotOutcome::restored;
}

// Renames snapshots ahead of the WAL out of the way, durably, before the writer appends past their position.
bool retire_stale(disk::FileSystem& fs, const RecoveryOptions& options, RecoveryReport& report) {
  for (const std::string& path : report.stale_snapshots) {
    if (disk::IoStatus renamed = fs.rename(path, path + stale_suffix); !renamed.ok()) {
      report.status = std::move(renamed.append(" (a snapshot ahead of the WAL)"));
      return false;
    }
    report.warnings.push_back(path + ": renamed to " + path + stale_suffix);
  }
  report.status = fs.sync_dir(options.data_dir.snapshots());
  return report.status.ok();
}

}  // namespace

namespace {

// One recovery into `ledger`, passing over the snapshots in `skip`. A snapshot found invalid while restoring it
// (start_over mode) ends it early, named in `found_invalid`: `ledger` is then half-restored.
RecoveryReport recover_once(disk::FileSystem& fs, const RecoveryOptions& options, LedgerRestore& ledger,
                            const std::vector<std::string>& skip, std::string& found_invalid) {
  const auto started = Clock::now();
  RecoveryReport report;
  ParallelRestore restorer(ledger, restore_threads());
  auto finish = [&]() -> RecoveryReport {
    const bool applied = restorer.finish();
    if (!applied && report.status.ok())
      report.status = disk::IoStatus::failed("a record was rejected by recovery: " + restorer.error());
    report.users = restorer.users();
    report.transactions = restorer.transactions();
    report.user_updates = restorer.user_updates();
    report.millis = millis_since(started);
    if (report.status.ok())  // every record read from the snapshot and the WAL was applied, none twice
      TALLY_ASSERT(report.users + report.transactions + report.user_updates + restorer.reservations() ==
                       report.snapshot_records + report.wal_records,
                   "recovery applies exactly the records it read");
    return report;
  };
  if (options.use_snapshots) {
    const SnapshotOutcome outcome = restore_snapshot(fs, options, ledger, restorer, skip, report, found_invalid);
    report.snapshot_millis = millis_since(started);
    if (outcome == SnapshotOutcome::invalid) {
      restorer.abandon();  // the caller throws this ledger away (start_over)
      report.millis = millis_since(started);
      return report;
    }
    if (outcome == SnapshotOutcome::refused) return finish();
  }
  const std::string& wal_dir = options.data_dir.wal();
  if (report.snapshot.empty()) reserve_transactions(ledger, fs, wal_dir, wal::WalPosition{1, 0}, 0);
  wal::ScanOptions scan_options;
  // Without a snapshot the log must be whole from segment 1: pruned segments are only fine under a snapshot.
  scan_options.start = report.snapshot.empty() ? wal::WalPosition{1, 0} : report.snapshot_covered;
  scan_options.read_only = options.read_only;
  wal::Record scratch;  // every record is decoded into it (see feed)
  const wal::WalScan scan =
      wal::scan_wal(fs, wal_dir, scan_options, [&](wal::WalPosition at, std::string_view payload) {
        // The snapshot holds every record before its position: replay continues exactly after it.
        TALLY_ASSERT(!position_before(at, scan_options.start), "the WAL is replayed from the snapshot's position on");
        if (!wal::decode_into(payload, scratch) || !feed(restorer, options, scratch)) return false;
        ++report.wal_records;
        return true;
      });
  spdlog::debug("restore phase: WAL read ({} records)", report.wal_records);
  report.status = scan.status;
  if (!scan.status.ok() && !restorer.error().empty()) report.status.append(": " + restorer.error());
  report.bytes = scan.bytes;
  report.segments = scan.segments;
  report.torn_bytes_cut = scan.torn_bytes_cut;
  report.torn_tail = scan.torn_tail;
  report.torn_at = scan.torn_at;
  report.torn_bytes = scan.torn_bytes;
  report.end = scan.end;
  if (report.status.ok() && !options.read_only && !report.stale_snapshots.empty())
    retire_stale(fs, options, report);
  return finish();
}

}  // namespace

RecoveryReport recover(disk::FileSystem& fs, const RecoveryOptions& options, LedgerRestore& ledger) {
  std::vector<std::string> invalid;  // snapshots found invalid while restored: passed over from then on
  std::vector<std::string> warnings;
  LedgerRestore* into = &ledger;
  for (;;) {
    std::string found_invalid;
    RecoveryReport report = recover_once(fs, options, *into, invalid, found_invalid);
    if (found_invalid.empty()) {
      report.warnings.insert(report.warnings.begin(), warnings.begin(), warnings.end());
      return report;
    }
    // Each round passes over one more snapshot of a finite listing: this ends (at the latest with the WAL alone).
    TALLY_ASSERT(options.start_over && std::find(invalid.begin(), invalid.end(), found_invalid) == invalid.end(),
                 "only a restore that validates as it goes finds a snapshot invalid, each one once");
    warnings.push_back("invalid snapshot skipped: " + report.status.message() + " (found while restoring it)");
    invalid.push_back(found_invalid);
    into = &options.start_over();
  }
}

RecoveryReport recover(disk::FileSystem& fs, const disk::DataDir& data_dir, LedgerRestore& ledger) {
  RecoveryOptions options;
  options.data_dir = data_dir;
  return recover(fs, options, ledger);
}

}  // namespace tally::recovery
