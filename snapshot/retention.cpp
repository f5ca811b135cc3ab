// prune(): validity decides what is kept, positions decide what goes. A WAL segment is deleted only if its
// number is below the older kept snapshot's covered segment: every record in it is then in both kept snapshots.
#include "snapshot/retention.hpp"

#include <algorithm>
#include <cerrno>

#include "ledger/assert.hpp"
#include "snapshot/snapshot_format.hpp"
#include "snapshot/snapshot_reader.hpp"
#include "wal/wal_position.hpp"

namespace tally::snapshot {

PruneResult prune(disk::FileSystem& fs, const disk::DataDir& data_dir, const std::set<std::string>& known_valid) {
  PruneResult result;
  const std::string& snap_dir = data_dir.snapshots();
  const std::string& wal_dir = data_dir.wal();
  auto fail = [&](disk::IoStatus status) {
    result.status = std::move(status);
    return result;
  };
  SnapshotListing listing;
  if (disk::IoStatus listed = list_snapshots(fs, snap_dir, listing); !listed.ok()) return fail(std::move(listed));

  for (const std::string& tmp : listing.temp_paths) {
    if (disk::IoStatus removed = fs.remove(tmp); !removed.ok() && !removed.not_found()) return fail(std::move(removed));
    result.removed.push_back(tmp);
    ++result.temps_removed;
  }

  std::vector<const SnapshotFile*> kept;
  for (const SnapshotFile& file : listing.snapshots) {
    if (kept.size() == snapshots_kept) break;
    if (known_valid.count(file.path) == 0) {
      const SnapshotRead read = validate_snapshot(fs, file.path);
      if (!read.status.ok()) {
        result.warnings.push_back(read.status.message());
        continue;
      }
    }
    kept.push_back(&file);
    result.kept.push_back(file.path);
  }
  if (kept.size() < snapshots_kept) return result;  // no fallback pair yet: the WAL stays whole
  const wal::WalPosition older = kept.back()->covered;
  TALLY_ASSERT(!position_before(kept.front()->covered, older), "the kept snapshots are newest first");

  // The kept snapshots' names must be durable before the WAL they replace disappears.
  if (disk::IoStatus synced = fs.sync_dir(snap_dir); !synced.ok()) return fail(std::move(synced));

  std::vector<std::string> names;
  if (disk::IoStatus listed = fs.list(wal_dir, names); !listed.ok() && !listed.not_found())
    return fail(std::move(listed));
  std::vector<std::uint64_t> segments;
  for (const std::string& name : names) {
    std::uint64_t number = 0;
    if (wal::parse_segment_file_name(name, number) && number < older.segment) segments.push_back(number);
  }
  // Oldest first, so an interrupted prune leaves a gapless suffix of the log.
  std::sort(segments.begin(), segments.end());
  for (const std::uint64_t number : segments) {
    const std::string path = wal::segment_path(wal_dir, number);
    if (disk::IoStatus removed = fs.remove(path); !removed.ok() && !removed.not_found()) return fail(std::move(removed));
    result.removed.push_back(path);
    ++result.wal_segments_removed;
  }
  for (const SnapshotFile& file : listing.snapshots) {
    if (!position_before(file.covered, older)) continue;
    if (disk::IoStatus removed = fs.remove(file.path); !removed.ok() && !removed.not_found())
      return fail(std::move(removed));
    result.removed.push_back(file.path);
    ++result.snapshots_removed;
  }
  // Best effort: a resurrected segment or snapshot is harmless (the next prune deletes it again).
  if (result.wal_segments_removed > 0) static_cast<void>(fs.sync_dir(wal_dir));
  if (result.snapshots_removed + result.temps_removed > 0) static_cast<void>(fs.sync_dir(snap_dir));
  return result;
}

}  // namespace tally::snapshot
