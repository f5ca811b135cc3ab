// prune(): validity decides what is kept, positions decide what goes. A WAL segment is deleted only if its
// number is below the older kept snapshot's covered segment: every record in it is then in both kept snapshots.
#include "snapshot/retention.hpp"

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "snapshot/snapshot_format.hpp"
#include "snapshot/snapshot_reader.hpp"
#include "wal/wal_reader.hpp"

namespace tally::snapshot {
namespace {

std::string describe_errno(int err) { return std::error_code(err, std::generic_category()).message(); }

}  // namespace

PruneResult prune(wal::FileSystem& fs, const std::string& data_dir, const std::set<std::string>& known_valid) {
  PruneResult result;
  const std::string snap_dir = snapshot_dir_of(data_dir);
  const std::string wal_dir = wal_dir_of(data_dir);
  auto fail = [&](const std::string& error) {
    result.error = error;
    return result;
  };
  SnapshotListing listing;
  if (int err = list_snapshots(fs, snap_dir, listing)) return fail(snap_dir + ": cannot list: " + describe_errno(err));

  for (const std::string& tmp : listing.temp_paths) {
    if (int err = fs.remove(tmp); err != 0 && err != ENOENT)
      return fail(tmp + ": cannot remove: " + describe_errno(err));
    result.removed.push_back(tmp);
    ++result.temps_removed;
  }

  std::vector<const SnapshotFile*> kept;
  for (const SnapshotFile& file : listing.snapshots) {
    if (kept.size() == snapshots_kept) break;
    if (known_valid.count(file.path) == 0) {
      const SnapshotRead read = validate_snapshot(fs, file.path);
      if (!read.ok) {
        result.warnings.push_back(read.error);
        continue;
      }
    }
    kept.push_back(&file);
    result.kept.push_back(file.path);
  }
  if (kept.size() < snapshots_kept) {
    result.ok = true;  // no fallback pair yet: the WAL stays whole
    return result;
  }
  const wal::WalPosition older = kept.back()->covered;

  // The kept snapshots' names must be durable before the WAL they replace disappears.
  if (int err = fs.sync_dir(snap_dir)) return fail("fsync of directory " + snap_dir + ": " + describe_errno(err));

  std::vector<std::string> names;
  if (int err = fs.list(wal_dir, names); err != 0 && err != ENOENT)
    return fail(wal_dir + ": cannot list: " + describe_errno(err));
  std::vector<std::uint64_t> segments;
  for (const std::string& name : names) {
    std::uint64_t number = 0;
    if (parse_wal_segment_name(name, number) && number < older.segment) segments.push_back(number);
  }
  // Oldest first, so an interrupted prune leaves a gapless suffix of the log.
  std::sort(segments.begin(), segments.end());
  for (const std::uint64_t number : segments) {
    const std::string path = wal_dir + "/" + wal::segment_file_name(number);
    if (int err = fs.remove(path); err != 0 && err != ENOENT)
      return fail(path + ": cannot remove: " + describe_errno(err));
    result.removed.push_back(path);
    ++result.wal_segments_removed;
  }
  for (const SnapshotFile& file : listing.snapshots) {
    if (!position_before(file.covered, older)) continue;
    if (int err = fs.remove(file.path); err != 0 && err != ENOENT)
      return fail(file.path + ": cannot remove: " + describe_errno(err));
    result.removed.push_back(file.path);
    ++result.snapshots_removed;
  }
  if (result.wal_segments_removed > 0) fs.sync_dir(wal_dir);  // best effort: a resurrected segment is harmless
  if (result.snapshots_removed + result.temps_removed > 0) fs.sync_dir(snap_dir);
  result.ok = true;
  return result;
}

}  // namespace tally::snapshot
