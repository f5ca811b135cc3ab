// WalWriter: one thread owns the open segment; batches = whatever queued up during the previous fdatasync.
// Failure policy (docs/wal_format.md): a failed write fails its batch and the queue behind it; a failed sync is fatal.
#include "wal/wal_writer.hpp"

#include <pthread.h>

#include <algorithm>
#include <cerrno>

#include "ledger/assert.hpp"
#include "ledger/limits.hpp"
#include "telemetry/catalogue.hpp"
#include "wal/byte_order.hpp"
#include "wal/frame.hpp"
#include "wal/record_codec.hpp"

namespace tally::wal {
namespace {

// Frames back to back, counted by walking their length fields: what a reader will walk. The writer checks a
// batch against the records its entries claim before a byte of it goes to disk.
std::size_t frames_in(std::string_view framed) {
  std::size_t at = 0, frames = 0;
  while (at < framed.size()) {
    TALLY_ASSERT(framed.size() - at >= frame_header_bytes, "a batch holds whole frame headers");
    at += frame_header_bytes + load_le32(framed.data() + at);
    ++frames;
  }
  TALLY_ASSERT(at == framed.size(), "a batch ends where its last frame does");
  return frames;
}

}  // namespace

WalStatus WalWriter::status_for(const disk::IoStatus& failure) {
  // Quota exhaustion behaves like a full disk for the caller: nothing was written, retrying later may work.
  const int err = failure.errno_value();
  return err == ENOSPC || err == EDQUOT ? WalStatus::no_space : WalStatus::io_error;
}

void RecordGroup::add(std::string_view payload) {
  append_frame(framed_, payload);
  ++records_;
}

bool RecordGroup::add(const TransactionApplied& record) {
  const std::size_t start = framed_.size();
  framed_.resize(start + frame_header_bytes);  // the header, filled once the payload is there
  if (!encode_append(record, framed_)) {
    framed_.resize(start);
    return false;
  }
  seal_frame(framed_, start);
  ++records_;
  return true;
}

WalWriter::WalWriter(WalWriterOptions options) : options_(std::move(options)) {
  if (options_.fs == nullptr) options_.fs = &disk::posix_file_system();
  segment_bytes_max_ = options_.segment_bytes_max != 0 ? options_.segment_bytes_max : limits::wal_segment_bytes_max;
  open_initial_segment();
  thread_ = std::thread([this] { run(); });
}

WalWriter::~WalWriter() { stop(); }

WalTicket WalWriter::submit(std::string_view payload, WalTicket depends_on, WalDone done) {
  RecordGroup group;
  group.add(payload);  // outside the lock: CRC work must not serialize submitters
  return enqueue(std::move(group), depends_on, std::move(done));
}

WalTicket WalWriter::submit_group(RecordGroup group, WalTicket depends_on, WalDone done) {
  return enqueue(std::move(group), depends_on, std::move(done));
}

WalTicket WalWriter::enqueue(RecordGroup group, WalTicket depends_on, WalDone done) {
  TALLY_ASSERT(!group.empty() && !group.framed_.empty(), "a WAL entry holds at least one record");
  const std::size_t records = group.records_;
  WalStatus status;
  WalTicket ticket;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ticket = next_ticket_++;
    TALLY_ASSERT(depends_on < ticket, "a record depends only on an earlier one");
    if (stopping_) {
      status = WalStatus::stopped;
    } else if (broken_) {
      status = WalStatus::io_error;
    } else if (depends_on != 0 && ticket_failed_locked(depends_on)) {
      status = WalStatus::dependency_failed;
    } else if (queued_records_ + records > limits::wal_queue_records_max) {
      // Never block a submitter (it may be an actor thread): overload is reported like a full disk, retry later.
      status = WalStatus::no_space;
    } else {
      const bool was_empty = queue_.empty();
      queued_bytes_ += group.framed_.size();
      queued_records_ += records;
      queue_.push_back(Pending{std::move(group.framed_), records, ticket, std::move(done)});
      if (was_empty) wake_.notify_one();  // the writer only ever waits on an empty queue
      return ticket;
    }
    // Remember the failure so records that depend on this one fail too.
    add_failed_range_locked(ticket, ticket);
    stats_.failed_records += records;
  }
  if (status == WalStatus::no_space && options_.metrics) options_.metrics->storage_full_refusals.add(records);
  if (done) done(status);
  return ticket;
}

void WalWriter::set_batch_end(std::function<void()> hook) {
  std::lock_guard<std::mutex> lock(mutex_);
  TALLY_ASSERT(!batch_end_ && next_ticket_ == 1, "the batch-end hook is set once, before any submission");
  batch_end_ = std::move(hook);
}

void WalWriter::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  std::lock_guard<std::mutex> join_lock(join_mutex_);
  // From a completion callback (the writer thread itself) we cannot join; the thread exits once drained.
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

WalStats WalWriter::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

WalPosition WalWriter::position() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return position_;
}

bool WalWriter::ticket_failed_locked(WalTicket ticket) const {
  auto it = std::upper_bound(failed_ranges_.begin(), failed_ranges_.end(), ticket,
                             [](WalTicket t, const std::pair<WalTicket, WalTicket>& r) { return t < r.first; });
  if (it == failed_ranges_.begin()) return false;
  --it;
  return ticket <= it->second;
}

void WalWriter::add_failed_range_locked(WalTicket first, WalTicket last) {
  TALLY_ASSERT(first <= last && last < next_ticket_, "a failed range names issued tickets");
  // A batch failure covers [batch start, newest ticket], which swallows any later single-ticket ranges.
  while (!failed_ranges_.empty() && failed_ranges_.back().first >= first) {
    last = std::max(last, failed_ranges_.back().second);
    failed_ranges_.pop_back();
  }
  if (!failed_ranges_.empty() && failed_ranges_.back().second + 1 >= first)
    failed_ranges_.back().second = std::max(failed_ranges_.back().second, last);
  else
    failed_ranges_.emplace_back(first, last);
}

void WalWriter::run() {
  pthread_setname_np(pthread_self(), "tally-wal");  // told apart from the main thread in top, perf and /proc
  std::vector<Pending> batch;
  for (;;) {
    const std::function<void()>* batch_end = nullptr;  // unchanged once set: safe to call outside the lock
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (queue_.empty() && !stopping_ && wants_zero_fill()) {
        lock.unlock();
        fill_zero_chunk();  // idle: make room ahead, a chunk at a time, then look at the queue again
        continue;
      }
      wake_.wait(lock, [this] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) return;  // stopping, and everything queued has been written
      if (batch_end_) batch_end = &batch_end_;
      if (queued_records_ <= limits::wal_batch_records_max && queued_bytes_ <= limits::wal_batch_bytes_max) {
        batch.swap(queue_);
        queued_bytes_ = 0;
        queued_records_ = 0;
      } else {
        // Entries are never split: a group's records are written by one write().
        std::size_t count = 0, bytes = 0, records = 0;
        while (count < queue_.size() &&
               (count == 0 || (records + queue_[count].records <= limits::wal_batch_records_max &&
                               bytes + queue_[count].framed.size() <= limits::wal_batch_bytes_max))) {
          bytes += queue_[count].framed.size();
          records += queue_[count++].records;
        }
        batch.assign(std::make_move_iterator(queue_.begin()),
                     std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(count)));
        queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(count));
        TALLY_ASSERT(queued_bytes_ >= bytes && queued_records_ >= records, "the queue's totals cover its entries");
        queued_bytes_ -= bytes;
        queued_records_ -= records;
      }
    }
    write_batch(batch);
    batch.clear();
    if (batch_end != nullptr) (*batch_end)();
  }
}

void WalWriter::write_batch(std::vector<Pending>& batch) {
  if (broken_) {
    fail_batch(batch, WalStatus::io_error);
    return;
  }
  std::size_t total = 0, records = 0;
  for (std::size_t k = 0; k < batch.size(); ++k) {
    TALLY_ASSERT(k == 0 || batch[k - 1].ticket < batch[k].ticket, "a batch is written in ticket order");
    total += batch[k].framed.size();
    records += batch[k].records;
  }
  std::string buffer;
  buffer.reserve(total);
  for (const Pending& p : batch) buffer += p.framed;
  TALLY_ASSERT(frames_in(buffer) == records, "a batch holds exactly the records its entries were given");

  if (position_.offset > segment_header_bytes && position_.offset + buffer.size() > segment_bytes_max_) {
    if (!seal_segment(batch) || !start_next_segment(batch)) return;
  }

  const std::uint64_t durable_size = position_.offset;
  TALLY_ASSERT(durable_size >= segment_header_bytes && durable_size % 8 == 0,
               "records start 8-aligned after the segment header");
  TALLY_ASSERT(file_->size() == zeroed_end_ && zeroed_end_ >= durable_size,
               "the file ends at the zeroed room's end, at or after the durable position, before each write");
  if (disk::IoStatus written = file_->write_at(durable_size, buffer); !written.ok()) {
    fail_write(batch, durable_size, written);
    return;
  }
  const telemetry::WalMetrics* metrics = options_.metrics;
  const std::int64_t sync_start = metrics ? metrics->fdatasync.start() : 0;
  disk::IoStatus synced = file_->sync_data();
  if (metrics && synced.ok()) {
    metrics->fdatasync.observe_since(sync_start);
    metrics->group_commit_records.observe(records);
    metrics->bytes_written.add(buffer.size());
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.syncs;
    if (synced.ok()) {
      position_.offset += buffer.size();
      zeroed_end_ = std::max(zeroed_end_, position_.offset);
      TALLY_ASSERT(position_.offset <= file_->size() && zeroed_end_ == file_->size(),
                   "the durable position moves to the end of what was written, within the file");
      stats_.records += records;
      stats_.bytes += buffer.size();
      ++stats_.batches;
    }
  }
  if (!synced.ok()) {
    fail_batch(batch, WalStatus::io_error, synced);
    return;
  }
  zero_fill_paused_ = false;  // a batch went through: room may be made again
  // Outside the lock: callbacks may submit follow-up records.
  for (Pending& p : batch)
    if (p.done) p.done(WalStatus::durable);
}

void WalWriter::fail_write(std::vector<Pending>& batch, std::uint64_t durable_size, const disk::IoStatus& written) {
  // Cut any partial write (and the room it landed in): a frame of it left after the next, shorter batch would
  // read back as a record that was never acknowledged. The zero-fill makes new room later.
  disk::IoStatus cut;
  zero_fill_paused_ = true;
  if (file_->size() != durable_size) {
    cut = file_->truncate(durable_size);
    if (cut.ok()) {
      cut = file_->sync_data();
      std::lock_guard<std::mutex> lock(mutex_);
      ++stats_.syncs;
    }
  }
  zeroed_end_ = file_->size();
  if (!cut.ok()) {
    fail_batch(batch, WalStatus::io_error, cut.append(" (cutting a failed write: " + written.message() + ")"));
  } else {
    fail_batch(batch, status_for(written));
  }
}

void WalWriter::fail_batch(std::vector<Pending>& batch, WalStatus status, const disk::IoStatus& fatal) {
  TALLY_ASSERT(status != WalStatus::durable, "a failed batch is not durable");
  std::vector<Pending> behind;
  bool call_fatal = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const WalTicket first = batch.empty() ? next_ticket_ : batch.front().ticket;
    if (next_ticket_ > first) add_failed_range_locked(first, next_ticket_ - 1);
    behind.swap(queue_);
    queued_bytes_ = 0;
    queued_records_ = 0;
    std::uint64_t failed = 0;
    for (const Pending& p : batch) failed += p.records;
    for (const Pending& p : behind) failed += p.records;
    stats_.failed_records += failed;
    if (status == WalStatus::no_space && options_.metrics) options_.metrics->storage_full_refusals.add(failed);
    if (!fatal.ok() && !broken_) {
      broken_ = true;
      call_fatal = true;
    }
  }
  if (call_fatal && options_.on_fatal) options_.on_fatal(fatal.message());
  for (Pending& p : batch)
    if (p.done) p.done(status);
  for (Pending& p : behind)
    if (p.done) p.done(status);
}

}  // namespace tally::wal
