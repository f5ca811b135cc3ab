// DataDir: the data directory's paths; DataDirLock: the flock that keeps a second tallyd out. The lock is taken
// with POSIX calls, not through FileSystem: it guards the process, not data, and has no failure to inject.
#include "disk/data_dir.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

namespace tally::disk {

DataDir::DataDir(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  if (root_.empty()) root_ = ".";
  const std::string base = root_ == "/" ? std::string() : root_;
  wal_ = base + "/wal";
  snapshots_ = base + "/snapshots";
  lock_file_ = base + "/LOCK";
  shard_identity_file_ = base + "/SHARD";
}

IoStatus DataDirLock::acquire(const DataDir& dir) {
  release();
  const int fd = ::open(dir.lock_file().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return IoStatus::from_errno(errno, dir.lock_file(), "cannot open");
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    return IoStatus::from_errno(err, dir.lock_file(), "cannot lock");
  }
  fd_ = fd;
  return {};
}

void DataDirLock::release() {
  if (fd_ < 0) return;
  ::close(fd_);  // drops the flock
  fd_ = -1;
}

}  // namespace tally::disk
