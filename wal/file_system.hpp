// The one seam between Tally and the disk: every write, fdatasync, rename and directory sync goes through here,
// so tests can inject ENOSPC, EIO, short/torn writes and "crash now, lose what was not synced".
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tally::wal {

// Every call returns 0 or a positive errno value.
class AppendFile {
 public:
  virtual ~AppendFile() = default;
  // Writes all of data at the end, or fails; on failure some prefix may have been written (see size()).
  virtual int append(std::string_view data) = 0;
  virtual int sync_data() = 0;  // fdatasync
  virtual int truncate(std::uint64_t size_bytes) = 0;
  virtual std::uint64_t size() const = 0;  // bytes in the file as this handle sees it
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  // Opens (creating if missing) for appending at the current end.
  virtual int open_append(const std::string& path, std::unique_ptr<AppendFile>& out) = 0;
  virtual int read_all(const std::string& path, std::string& out) = 0;
  // Streaming reads of files too large to hold at once (snapshots). read_range puts up to length bytes from
  // offset into out (fewer at the end of the file, none past it). The defaults go through read_all.
  virtual int read_range(const std::string& path, std::uint64_t offset, std::size_t length, std::string& out);
  virtual int file_size(const std::string& path, std::uint64_t& size_bytes);
  // Names (not paths) of the entries in dir, unsorted, without "." and "..".
  virtual int list(const std::string& dir, std::vector<std::string>& names) = 0;
  virtual int make_dirs(const std::string& dir) = 0;  // mkdir -p; 0 if it exists
  virtual int rename(const std::string& from, const std::string& to) = 0;
  virtual int remove(const std::string& path) = 0;
  virtual int truncate(const std::string& path, std::uint64_t size_bytes) = 0;
  virtual int sync_dir(const std::string& dir) = 0;  // fsync of the directory itself
};

// The real thing: open/write/fdatasync/ftruncate/rename/fsync(dir) with EINTR and short writes handled.
FileSystem& posix_file_system();

}  // namespace tally::wal
