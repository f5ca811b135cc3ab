// In-memory FileSystem for tests that injects disk faults: failed or torn appends (ENOSPC/EIO, capacity),
// failed syncs, slow syncs, bit flips and "crash": every byte and directory entry that was not synced is lost.
#pragma once

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "disk/file_system.hpp"

namespace tally::testing {

enum class FsOp { open_append, append, sync_data, truncate, sync_dir, rename, remove, open_positional, write_at };

// Durability model: each file has a durable image that survives crash(); sync_data() copies into it the bytes
// written since the previous sync (from the lowest offset written, up to the size the file had when the call
// began), so positional writes over zeros are modelled like appends. crash(keep) keeps the durable image plus up
// to keep bytes of the unsynced ones, from that lowest offset (a torn write). A file's directory entry survives
// crash() once sync_dir() ran on its directory after it was created or renamed (approximation: a rename that
// was not dir-synced loses the file on crash, where a real system might keep the old name). Shrinking (truncate) is durable at once.
// All methods are thread-safe.
class FaultyFileSystem final : public disk::FileSystem {
 public:
  FaultyFileSystem();
  ~FaultyFileSystem() override;

  // Faults are modelled as errno values (below) and reported as the IoStatus the seam promises.
  disk::IoStatus open_append(const std::string& path, std::unique_ptr<disk::AppendFile>& out) override;
  disk::IoStatus open_positional(const std::string& path, std::unique_ptr<disk::PositionalFile>& out) override;
  disk::IoStatus read_all(const std::string& path, std::string& out) override;
  disk::IoStatus read_range(const std::string& path, std::uint64_t offset, std::size_t length,
                            std::string& out) override;
  disk::IoStatus file_size(const std::string& path, std::uint64_t& size_bytes) override;
  disk::IoStatus list(const std::string& dir, std::vector<std::string>& names) override;
  disk::IoStatus make_dirs(const std::string& dir) override;
  disk::IoStatus rename(const std::string& from, const std::string& to) override;
  disk::IoStatus remove(const std::string& path) override;
  disk::IoStatus truncate(const std::string& path, std::uint64_t size_bytes) override;
  disk::IoStatus sync_dir(const std::string& dir) override;

  // ---- faults ----
  // The nth append or write_at from now (1 = the next, on any file) writes prefix_bytes of its data, then fails
  // with error.
  void fail_append(int nth, int error = ENOSPC, std::size_t prefix_bytes = 0);
  // The nth sync_data from now fails with error and syncs nothing.
  void fail_sync(int nth, int error = EIO);
  void fail_sync_dir(int nth, int error = EIO);
  // Total bytes all files together may hold (nullopt = unlimited). An append that does not fit writes what
  // fits and fails with ENOSPC, like a real full disk; raise the capacity to "free space".
  void set_capacity(std::optional<std::uint64_t> bytes);
  std::uint64_t free_bytes() const;  // capacity minus the bytes all files hold; UINT64_MAX when unlimited
  // Every sync_data takes this long (outside the lock, so other threads keep going meanwhile).
  void set_sync_delay(std::chrono::microseconds delay);
  // Runs on the calling thread before every mutating operation, outside the lock: may block or call the fs.
  void set_hook(std::function<void(FsOp op, const std::string& path)> hook);
  // Power loss: each file keeps its durable image plus up to keep_unsynced_bytes of what was written since its
  // last sync (a torn write, from the lowest offset written), files whose
  // directory entry was never synced vanish. The fs is then down (every call fails with EIO, as for a process
  // that no longer runs) until restart(); handles opened before the crash stay dead even after it.
  void crash(std::size_t keep_unsynced_bytes = 0);
  void restart();
  // Flips bit (0..7) of the byte at offset; false if there is no such byte.
  bool flip_bit(const std::string& path, std::uint64_t offset, int bit = 0);

  // ---- setup and inspection ----
  // Creates or replaces a file (and its directories), durable as if synced.
  void write_file(const std::string& path, const std::string& data);
  bool exists(const std::string& path) const;
  std::string contents(const std::string& path) const;  // "" when missing
  std::uint64_t synced_size(const std::string& path) const;  // size of the durable image
  std::vector<std::string> file_paths() const;  // sorted
  std::uint64_t append_calls() const;
  std::uint64_t sync_calls() const;

 private:
  static constexpr std::uint64_t clean = UINT64_MAX;  // dirty_from when nothing was written since the last sync
  struct File {
    std::string data;
    std::string durable;             // what survives crash()
    std::uint64_t dirty_from = clean;  // lowest offset written (or grown) since the last sync
    bool entry_durable = false;
  };
  struct Fault {
    int countdown;
    int error;
    std::size_t prefix;
  };
  class Handle;

  void run_hook(FsOp op, const std::string& path);
  int open_errno(const std::string& path, std::shared_ptr<File>& file, std::uint64_t& epoch);
  int read_range_errno(const std::string& path, std::uint64_t offset, std::size_t length, std::string& out);
  int list_errno(const std::string& dir, std::vector<std::string>& names);
  int make_dirs_errno(const std::string& dir);
  int rename_errno(const std::string& from, const std::string& to);
  int truncate_errno(const std::string& path, std::uint64_t size_bytes);
  int sync_dir_errno(const std::string& dir);
  static void resize_locked(File& file, std::uint64_t size);
  static bool take_fault(std::vector<Fault>& faults, Fault& fired);
  bool dir_exists_locked(const std::string& dir) const;
  std::uint64_t used_bytes_locked() const;
  // offset == clean: at the end (append).
  int handle_write(File& file, std::uint64_t epoch, std::uint64_t offset, std::string_view data);
  int handle_sync(File& file, std::uint64_t epoch);
  int handle_truncate(File& file, std::uint64_t epoch, std::uint64_t size);
  std::uint64_t handle_size(const File& file) const;

  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<File>> files_;
  std::set<std::string> dirs_;
  std::vector<Fault> append_faults_, sync_faults_, sync_dir_faults_;
  std::optional<std::uint64_t> capacity_;
  std::chrono::microseconds sync_delay_{0};
  std::function<void(FsOp, const std::string&)> hook_;
  std::uint64_t epoch_ = 0;  // bumped by crash(); handles from an older epoch are dead
  bool down_ = false;        // between crash() and restart()
  std::uint64_t append_calls_ = 0, sync_calls_ = 0;
};

}  // namespace tally::testing
