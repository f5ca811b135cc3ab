// The WAL's single writer thread with group commit: every record submitted while one fdatasync runs is
// written by the next single write() and made durable by the next single fdatasync, then all are completed.
// Callers hand payloads (one, or a RecordGroup of several); framing never leaves wal/. Shares the format
// (frame.hpp) and positions (wal_position.hpp) with the reader, and nothing else.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "disk/file_system.hpp"
#include "ledger/limits.hpp"
#include "ledger/records.hpp"
#include "wal/wal_position.hpp"

namespace tally::telemetry {
struct WalMetrics;
}

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

// Records that become durable, or fail, together: one WAL entry, one ticket, one completion, written by one
// write() and never split between batches or segments (a user's share of a batch). Payloads are framed as they
// are added, on the caller's thread, so CRC work never serializes submitters.
class RecordGroup {
 public:
  RecordGroup() = default;
  // Frames payload (1..limits::wal_record_bytes_max bytes, a multiple of 8: what wal::encode makes); throws
  // std::invalid_argument otherwise, a bug upstream (see append_frame).
  void add(std::string_view payload);
  // Frames wal::encode(record)'s bytes, encoded straight into the group (no payload string, no copy); false,
  // the group unchanged, exactly when encode would refuse the record (record_codec.hpp).
  bool add(const TransactionApplied& record);
  // Room for `bytes` more framed bytes (a caller that knows its records' sizes: one allocation).
  void reserve(std::size_t bytes) { framed_.reserve(framed_.size() + bytes); }
  std::size_t records() const { return records_; }
  bool empty() const { return records_ == 0; }
  std::string_view bytes() const { return framed_; }  // the frames, back to back, as the writer will write them

 private:
  friend class WalWriter;
  std::string framed_;  // the records' frames, back to back
  std::size_t records_ = 0;
};

struct WalWriterOptions {
  std::string dir;
  disk::FileSystem* fs = nullptr;
  std::size_t segment_bytes_max = 0;     // 0 = limits::wal_segment_bytes_max
  // Where to append: the end of the last valid segment found by recovery ({0,0} = fresh log, start segment 1).
  WalPosition append_at;
  // Zeroed room kept ahead of the logical end while the thread is idle (docs/wal_format.md, "Pre-zeroed
  // segments"). 0: no zero-fill, every batch grows the file (the behaviour before session 10).
  std::size_t zero_fill_ahead_bytes = limits::wal_zero_fill_ahead_bytes;
  // A chunk is zero-filled only when the file system has at least chunk + this many bytes free.
  std::size_t zero_fill_reserve_bytes = limits::wal_zero_fill_reserve_bytes;
  // Called (once) on the writer thread when fdatasync fails: the page cache can no longer be trusted.
  // Production logs and exits the process; tests record it. Afterwards every submission fails with io_error.
  std::function<void(const std::string& what)> on_fatal;
  // fdatasync latency, group commit size, bytes, storage-full refusals (null: not measured). Outlives the writer.
  const telemetry::WalMetrics* metrics = nullptr;
};

struct WalStats {
  std::uint64_t records = 0, batches = 0, bytes = 0, syncs = 0, failed_records = 0;
  std::uint64_t zero_filled_bytes = 0;  // zeros written (and synced) ahead of the logical end; not in syncs
  std::uint64_t zero_fill_low_space = 0;  // chunks not filled: free space below chunk + reserve (or unknown)
};

class WalWriter {
 public:
  // Opens/creates the segment to append to. Throws std::runtime_error (with the IoStatus message) when it
  // cannot: a writer that could not open its log must not exist, and tallyd cannot serve without one.
  explicit WalWriter(WalWriterOptions options);
  ~WalWriter();                                   // stop()
  WalWriter(const WalWriter&) = delete;
  WalWriter& operator=(const WalWriter&) = delete;

  // Thread-safe. Queues one record; `done` runs exactly once on the writer thread (or inline, before submit
  // returns, when the record is refused without queueing: stopped, io_error after a fatal failure,
  // dependency_failed, or no_space when the queue is full), after the batch holding the record is durable or
  // has failed. depends_on: a ticket whose failure must fail this record too (0 = none). A record is only ever
  // written after every earlier-submitted record; if a batch fails, every record queued behind it fails as well.
  // Always returns the record's ticket (never 0): a refused record's ticket is remembered as failed, so records
  // that depend on it fail too.
  WalTicket submit(std::string_view payload, WalTicket depends_on, WalDone done);
  // The same for a group (not empty): one ticket and one `done` for all of its records.
  WalTicket submit_group(RecordGroup group, WalTicket depends_on, WalDone done);

  // Runs on the writer thread once per batch, after every completion of that batch (durable or failed) has run:
  // whoever defers work from its completions to the end of a group commit does it here (actors/: one change-feed
  // append for the whole batch, then the answers). Set once, before the first submission.
  void set_batch_end(std::function<void()> hook);

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
  WalTicket enqueue(RecordGroup group, WalTicket depends_on, WalDone done);
  void run();
  void write_batch(std::vector<Pending>& batch);
  bool ticket_failed_locked(WalTicket ticket) const;
  void add_failed_range_locked(WalTicket first, WalTicket last);
  // wal_writer_segments.cpp: the open segment, its zeroed room, rotation.
  void open_initial_segment();
  // Bytes past the recovered end: kept as room if all zero (after one fdatasync), cut otherwise.
  void adopt_tail(disk::PositionalFile& file, const std::string& path, WalPosition at);
  bool wants_zero_fill() const;
  // Writes and syncs one chunk of zeros at the file's end (the writer thread, queue empty).
  void fill_zero_chunk();
  // Truncates the current segment to its logical end and syncs it, so only the last segment has a zero tail.
  // False: it failed `batch` (fatally if the sync failed).
  bool seal_segment(std::vector<Pending>& batch);
  // Opens segment position_.segment + 1 with a durable header. False: it failed `batch` itself (fatally if a
  // sync failed: a durable header cannot be promised any more).
  bool start_next_segment(std::vector<Pending>& batch);
  // Fails the batch and everything queued behind it with `status`; `fatal` (when not ok) also breaks the writer
  // for good and is reported through on_fatal.
  void fail_batch(std::vector<Pending>& batch, WalStatus status, const disk::IoStatus& fatal = {});
  // A failed write: cut back to the durable position (synced), then fail the batch and the queue behind it.
  void fail_write(std::vector<Pending>& batch, std::uint64_t durable_size, const disk::IoStatus& written);
  static WalStatus status_for(const disk::IoStatus& failure);

  WalWriterOptions options_;
  std::unique_ptr<disk::PositionalFile> file_;
  WalPosition position_;     // the logical end: records end here, the next batch is written here
  // Owned by the writer thread: the file's size. Bytes [position_.offset, zeroed_end_) are zeros; those a
  // zero-fill wrote were synced before they counted (a batch that outgrew the room moves it along).
  std::uint64_t zeroed_end_ = 0;
  bool zero_fill_paused_ = false;  // a zero write failed: wait for a written batch before trying again
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Pending> queue_;
  std::size_t queued_bytes_ = 0;
  std::size_t queued_records_ = 0;
  WalTicket next_ticket_ = 1;
  std::vector<std::pair<WalTicket, WalTicket>> failed_ranges_;  // inclusive, ascending
  bool stopping_ = false;
  bool broken_ = false;  // after an fsync failure
  std::function<void()> batch_end_;  // set once, under mutex_; read by the writer thread
  WalStats stats_;
  std::size_t segment_bytes_max_ = 0;
  std::mutex join_mutex_;  // makes concurrent stop() calls safe: only one joins
  std::thread thread_;
};

}  // namespace tally::wal
