// The WAL's single writer thread with group commit: every record submitted while one fdatasync runs is
// written by the next single write() and made durable by the next single fdatasync, then all are completed.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "wal/file_system.hpp"

namespace tally::wal {

enum class WalStatus {
  durable,            // on disk, fdatasync'ed
  no_space,           // ENOSPC: nothing of it is in the log; retry later
  io_error,           // the log is unusable (after an fsync error the writer fails everything from then on)
  dependency_failed,  // the record it depends on failed, so it was not written
  stopped,            // submitted after stop()
};

using WalTicket = std::uint64_t;  // 1, 2, 3, ... in submission order; 0 = "depends on nothing"
using WalDone = std::function<void(WalStatus)>;

struct WalPosition {
  std::uint64_t segment = 0;  // segment number in the file name
  std::uint64_t offset = 0;   // bytes into that segment
};

struct WalWriterOptions {
  std::string dir;
  FileSystem* fs = nullptr;
  std::size_t segment_bytes_max = 0;     // 0 = limits::wal_segment_bytes_max
  // Where to append: the end of the last valid segment found by recovery ({0,0} = fresh log, start segment 1).
  WalPosition append_at;
  // Called (once) on the writer thread when fdatasync fails: the page cache can no longer be trusted.
  // Production logs and exits the process; tests record it. Afterwards every submission fails with io_error.
  std::function<void(const std::string& what)> on_fatal;
};

struct WalStats {
  std::uint64_t records = 0, batches = 0, bytes = 0, syncs = 0, failed_records = 0;
};

class WalWriter {
 public:
  explicit WalWriter(WalWriterOptions options);  // opens/creates the segment; throws std::runtime_error on failure
  ~WalWriter();                                   // stop()
  WalWriter(const WalWriter&) = delete;
  WalWriter& operator=(const WalWriter&) = delete;

  // Thread-safe. Frames payload and queues it; `done` runs exactly once on the writer thread (or inline, for
  // dependency_failed / stopped), after the batch holding the record is durable or has failed.
  // depends_on: a ticket whose failure must fail this record too (0 = none). A record is only ever written
  // after every earlier-submitted record; if a batch fails, every record queued behind it fails as well.
  // Returns the record's ticket, or 0 when it was refused without queueing (`done` has then already run).
  WalTicket submit(std::string payload, WalTicket depends_on, WalDone done);
  // Several records already framed back to back (append_frame), queued as one entry: one ticket, one `done`;
  // they are written by one write() and become durable, or fail, together. records = how many frames.
  WalTicket submit_framed(std::string framed, std::size_t records, WalTicket depends_on, WalDone done);

  // Writes and syncs what is queued, completes it, joins the thread. Idempotent.
  void stop();

  WalStats stats() const;
  WalPosition position() const;  // end of the durable log

 private:
  // defined in wal_writer.cpp
  struct Pending {
    std::string framed;
    std::size_t records;
    WalTicket ticket;
    WalDone done;
  };
  void run();
  void write_batch(std::vector<Pending>& batch);
  bool ticket_failed_locked(WalTicket ticket) const;
  void add_failed_range_locked(WalTicket first, WalTicket last);
  void open_initial_segment();
  int start_next_segment(bool& fatal, std::string& what);
  void fail_batch(std::vector<Pending>& batch, WalStatus status, const std::string& fatal_what);

  WalWriterOptions options_;
  std::unique_ptr<AppendFile> file_;
  WalPosition position_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Pending> queue_;
  std::size_t queued_bytes_ = 0;
  std::size_t queued_records_ = 0;
  WalTicket next_ticket_ = 1;
  std::vector<std::pair<WalTicket, WalTicket>> failed_ranges_;  // inclusive, ascending
  bool stopping_ = false;
  bool broken_ = false;  // after an fsync failure
  WalStats stats_;
  std::size_t segment_bytes_max_ = 0;
  std::mutex join_mutex_;  // makes concurrent stop() calls safe: only one joins
  std::thread thread_;
};

}  // namespace tally::wal
