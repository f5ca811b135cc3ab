// The one seam between Tally and the disk: every read, write, fdatasync, rename and directory sync of the WAL,
// the snapshots and recovery goes through here, so tests can inject ENOSPC, EIO, short/torn writes and "crash
// now, lose what was not synced" (tests/unit/faulty_file_system.hpp), and the operator tool can refuse every
// change (recovery/read_only_file_system.hpp).
//
// Failure model (what callers may assume, and what a fake must reproduce):
// - Every call returns an IoStatus: ok, or the errno of the failed system call with the path (and, for a failed
//   write or read, the byte offset) in its message. Nothing throws.
// - append either writes all of its data or fails; a failed append may have written a prefix (size() tells how
//   much: ENOSPC part-way, a torn write). Nothing appended is durable before sync_data returns ok.
// - write_at (PositionalFile) writes at an offset, not at the end: over existing bytes (zeros the WAL writer
//   filled ahead) or past the end (growing the file, a gap reading as zeros). It either writes all of its data
//   or fails, and a failed write_at may have written a prefix at the offset. Like append, nothing it wrote is
//   durable before sync_data returns ok; until then a crash may keep any prefix of it (the fake keeps a prefix
//   of the bytes written since the last sync, from the lowest offset written).
// - A failed sync_data is not retried: the kernel may have dropped the dirty pages it could not write, so the
//   page cache no longer says what is on disk. Callers treat it as fatal for that file.
// - A created or renamed directory entry is durable only after sync_dir of its directory; truncation (of a
//   torn tail) is made durable by the sync_data of the same file.
// - ENOENT from list, read_all or file_size means "not there" (an empty log, no snapshot yet), not damage.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "disk/io_status.hpp"

namespace tally::disk {

class AppendFile {
 public:
  virtual ~AppendFile() = default;
  // Writes all of data at the end, or fails; on failure some prefix may have been written (see size()).
  virtual IoStatus append(std::string_view data) = 0;
  virtual IoStatus sync_data() = 0;  // fdatasync
  virtual IoStatus truncate(std::uint64_t size_bytes) = 0;
  virtual std::uint64_t size() const = 0;  // bytes in the file as this handle sees it
};

// A file written at explicit offsets (pwrite; no O_APPEND): the WAL's segments, which are zero-filled ahead of
// the log's logical end and written over those zeros.
class PositionalFile {
 public:
  virtual ~PositionalFile() = default;
  // Writes all of data at offset, or fails; on failure a prefix may have been written there.
  virtual IoStatus write_at(std::uint64_t offset, std::string_view data) = 0;
  virtual IoStatus sync_data() = 0;  // fdatasync
  virtual IoStatus truncate(std::uint64_t size_bytes) = 0;
  virtual std::uint64_t size() const = 0;  // bytes in the file as this handle sees it
  // Bytes an unprivileged writer may still add to the file system holding this file (fstatvfs: f_bavail *
  // f_frsize). A file system with no such limit (the fuzzers' in-memory one) reports UINT64_MAX.
  virtual IoStatus free_bytes(std::uint64_t& out) const {
    out = UINT64_MAX;
    return {};
  }
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  // Opens (creating if missing) for appending at the current end.
  virtual IoStatus open_append(const std::string& path, std::unique_ptr<AppendFile>& out) = 0;
  // Opens (creating if missing) for positional writes; size() starts at the file's size.
  virtual IoStatus open_positional(const std::string& path, std::unique_ptr<PositionalFile>& out) = 0;
  virtual IoStatus read_all(const std::string& path, std::string& out) = 0;
  // Streaming reads of files too large to hold at once (snapshots). read_range puts up to length bytes from
  // offset into out (fewer at the end of the file, none past it). The defaults go through read_all.
  virtual IoStatus read_range(const std::string& path, std::uint64_t offset, std::size_t length, std::string& out);
  virtual IoStatus file_size(const std::string& path, std::uint64_t& size_bytes);
  // Names (not paths) of the entries in dir, unsorted, without "." and "..".
  virtual IoStatus list(const std::string& dir, std::vector<std::string>& names) = 0;
  virtual IoStatus make_dirs(const std::string& dir) = 0;  // mkdir -p; ok if it exists
  virtual IoStatus rename(const std::string& from, const std::string& to) = 0;
  virtual IoStatus remove(const std::string& path) = 0;
  virtual IoStatus truncate(const std::string& path, std::uint64_t size_bytes) = 0;
  virtual IoStatus sync_dir(const std::string& dir) = 0;  // fsync of the directory itself
};

// The real thing: open/write/fdatasync/ftruncate/rename/fsync(dir) with EINTR and short writes handled.
FileSystem& posix_file_system();

}  // namespace tally::disk
