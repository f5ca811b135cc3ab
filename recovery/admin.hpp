// tally-admin: the operator's read-only view of a data directory (snapshots and WAL). Every command reads
// through ReadOnlyFileSystem, so nothing it runs can change the directory, not even a torn-tail cut.
#pragma once

#include <string>

#include "disk/data_dir.hpp"
#include "disk/file_system.hpp"

namespace tally::admin {

// Exit statuses
inline constexpr int exit_ok = 0;
inline constexpr int exit_problem = 1;  // verify: recovery would fail; dump: a file could not be read
inline constexpr int exit_usage = 2;

// Checks every snapshot and WAL segment, then runs recovery (read-only) into a throwaway ledger. Prints a
// report to stdout; returns exit_ok if tallyd would start from this directory.
int verify(disk::FileSystem& fs, const disk::DataDir& data_dir);

enum class DumpSource {
  recovery,  // what recovery would restore: the chosen snapshot, then the WAL after it
  wal_only,  // every WAL segment present, from the first
  snapshot,  // one snapshot file
};
// A new API key for the key file (docs/security.md): prints `secret: ...` and `entry: ...`; exit_usage for an
// invalid name or scope list.
int new_key(const std::string& name, const std::string& scope_list);

// One JSON object per line per record to stdout.
int dump(disk::FileSystem& fs, const disk::DataDir& data_dir, DumpSource source, const std::string& snapshot_path);

}  // namespace tally::admin
