// WalWriter: one thread owns the open segment; batches = whatever queued up during the previous fdatasync.
// Failure policy (docs/wal_format.md): a failed write fails its batch and the queue behind it; a failed sync is fatal.
#include "wal/wal_writer.hpp"

#include <pthread.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>

#include "ledger/assert.hpp"
#include "ledger/limits.hpp"
#include "telemetry/catalogue.hpp"
#include "wal/byte_order.hpp"
#include "wal/frame.hpp"
#include "wal/record_codec.hpp"

namespace tally::wal {
namespace {

WalStatus status_for(const disk::IoStatus& failure) {
  // Quota exhaustion behaves like a full disk for the caller: nothing was written, retrying later may work.
  const int err = failure.errno_value();
  return err == ENOSPC || err == EDQUOT ? WalStatus::no_space : WalStatus::io_error;
}

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

[[noreturn]] void refuse_to_open(const disk::IoStatus& failure) {
  throw std::runtime_error("wal: " + failure.message());
}

}  // namespace

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

void WalWriter::open_initial_segment() {
  disk::FileSystem& fs = *options_.fs;
  const std::string& dir = options_.dir;
  if (disk::IoStatus status = fs.make_dirs(dir); !status.ok()) refuse_to_open(status);
  WalPosition at = options_.append_at;
  if (at.segment == 0) at = WalPosition{1, 0};
  const std::string path = segment_path(dir, at.segment);
  std::unique_ptr<disk::AppendFile> file;
  if (disk::IoStatus status = fs.open_append(path, file); !status.ok()) refuse_to_open(status);

  if (at.offset == 0) {
    // Offset 0 means "no header yet" (fresh log, or recovery cut a torn header). Refuse to write over data.
    if (file->size() != 0)
      refuse_to_open(disk::IoStatus::failed(path + " is not empty but the append position says it is new"));
    std::string header;
    append_segment_header(header);
    TALLY_ASSERT(header.size() == segment_header_bytes && valid_segment_header(header),
                 "the writer's segment header is one its reader accepts");
    if (disk::IoStatus status = file->append(header); !status.ok()) refuse_to_open(status);
    if (disk::IoStatus status = file->sync_data(); !status.ok()) refuse_to_open(status);
    if (disk::IoStatus status = fs.sync_dir(dir); !status.ok()) refuse_to_open(status);
    at.offset = segment_header_bytes;
  } else {
    if (at.offset < segment_header_bytes || file->size() < at.offset)
      refuse_to_open(disk::IoStatus::failed(path + " is shorter than the append position recovery reported"));
    if (file->size() > at.offset) {
      // Bytes past the recovered end are not part of the log; appending after them would hide new records.
      if (disk::IoStatus status = file->truncate(at.offset); !status.ok()) refuse_to_open(status);
      if (disk::IoStatus status = file->sync_data(); !status.ok()) refuse_to_open(status);
    }
  }
  TALLY_ASSERT(file->size() == at.offset, "the writer appends exactly at the end of the segment");
  file_ = std::move(file);
  position_ = at;
}

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

bool WalWriter::start_next_segment(std::vector<Pending>& batch) {
  disk::FileSystem& fs = *options_.fs;
  const std::uint64_t next = position_.segment + 1;
  const std::string path = segment_path(options_.dir, next);
  std::unique_ptr<disk::AppendFile> file;
  disk::IoStatus status = fs.open_append(path, file);
  // A leftover from an earlier failed attempt holds no records (it never got past its header): start over.
  if (status.ok() && file->size() != 0) status = file->truncate(0);
  std::string header;
  append_segment_header(header);
  if (status.ok()) {
    status = file->append(header);
    if (!status.ok()) {
      file.reset();
      // Best effort: a short last segment is a torn tail to recovery, and we retry with the next batch.
      static_cast<void>(fs.remove(path));
    }
  }
  if (!status.ok()) {
    fail_batch(batch, status_for(status));
    return false;
  }
  status = file->sync_data();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.syncs;
  }
  if (!status.ok()) {
    fail_batch(batch, WalStatus::io_error, status.append(" (the header of a new segment)"));
    return false;
  }
  // Without this the new name might not survive a crash even though its records were fdatasync'ed.
  status = fs.sync_dir(options_.dir);
  if (!status.ok()) {
    fail_batch(batch, WalStatus::io_error, status);
    return false;
  }
  TALLY_ASSERT(file->size() == segment_header_bytes, "a new segment holds its header and nothing else");
  std::lock_guard<std::mutex> lock(mutex_);
  file_ = std::move(file);
  position_ = WalPosition{next, segment_header_bytes};
  return true;
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
    if (!start_next_segment(batch)) return;
  }

  const std::uint64_t durable_size = position_.offset;
  TALLY_ASSERT(durable_size >= segment_header_bytes && durable_size % 8 == 0,
               "records start 8-aligned after the segment header");
  TALLY_ASSERT(file_->size() == durable_size, "the segment ends at the durable position before each write");
  if (disk::IoStatus written = file_->append(buffer); !written.ok()) {
    // Cut any partial write so the next batch lands right after the last durable record.
    disk::IoStatus cut;
    if (file_->size() != durable_size) {
      cut = file_->truncate(durable_size);
      if (cut.ok()) {
        cut = file_->sync_data();
        std::lock_guard<std::mutex> lock(mutex_);
        ++stats_.syncs;
      }
    }
    if (!cut.ok()) {
      fail_batch(batch, WalStatus::io_error, cut.append(" (cutting a failed write: " + written.message() + ")"));
    } else {
      fail_batch(batch, status_for(written));
    }
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
      TALLY_ASSERT(position_.offset == file_->size(), "the durable position moves to the end of what was written");
      stats_.records += records;
      stats_.bytes += buffer.size();
      ++stats_.batches;
    }
  }
  if (!synced.ok()) {
    fail_batch(batch, WalStatus::io_error, synced);
    return;
  }
  // Outside the lock: callbacks may submit follow-up records.
  for (Pending& p : batch)
    if (p.done) p.done(WalStatus::durable);
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
