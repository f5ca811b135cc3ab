// The data directory's layout, owned here and nowhere else:
//   DATA_DIR/LOCK        held (flock) by the one tallyd that uses the directory
//   DATA_DIR/wal/        the WAL's segments (docs/wal_format.md)
//   DATA_DIR/snapshots/  snapshots (docs/snapshot_format.md)
//   DATA_DIR/SHARD       which shard of how many the directory is (disk/shard_identity.hpp)
// tallyd, tally-admin, the snapshotter, recovery and the tests all find these paths through DataDir.
#pragma once

#include <string>

#include "disk/io_status.hpp"

namespace tally::disk {

class DataDir {
 public:
  // The current directory, like an empty path.
  DataDir() : DataDir(std::string(".")) {}
  // Implicit, like std::filesystem::path from a string: a data directory is its root path. Trailing slashes
  // are dropped ("data/" and "data" are one directory).
  DataDir(std::string root);  // NOLINT(google-explicit-constructor)
  DataDir(const char* root) : DataDir(std::string(root)) {}  // NOLINT(google-explicit-constructor)

  const std::string& root() const { return root_; }
  const std::string& wal() const { return wal_; }
  const std::string& snapshots() const { return snapshots_; }
  const std::string& lock_file() const { return lock_file_; }
  const std::string& shard_identity_file() const { return shard_identity_file_; }

 private:
  std::string root_, wal_, snapshots_, lock_file_, shard_identity_file_;
};

// One process per data directory: a second tallyd on the same log would interleave writes. Holds an exclusive
// flock on DATA_DIR/LOCK (created if missing) from acquire() until release() or destruction.
class DataDirLock {
 public:
  DataDirLock() = default;
  ~DataDirLock() { release(); }
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

  // EWOULDBLOCK when another process holds it; any other errno when LOCK cannot be opened.
  IoStatus acquire(const DataDir& dir);
  void release();
  bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

}  // namespace tally::disk
