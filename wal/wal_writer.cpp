// WalWriter: one thread owns the open segment; batches = whatever queued up during the previous fdatasync.
// Failure policy (docs/wal_format.md): a failed write fails its batch and the queue behind it; a failed sync is fatal.
#include "wal/wal_writer.hpp"

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <system_error>

#include "ledger/limits.hpp"
#include "wal/frame.hpp"
#include "wal/wal_reader.hpp"

namespace tally::wal {
namespace {

std::string describe_errno(int err) { return std::error_code(err, std::generic_category()).message(); }

WalStatus status_for_errno(int err) {
  // Quota exhaustion behaves like a full disk for the caller: nothing was written, retrying later may work.
  return err == ENOSPC || err == EDQUOT ? WalStatus::no_space : WalStatus::io_error;
}

}  // namespace

WalWriter::WalWriter(WalWriterOptions options) : options_(std::move(options)) {
  if (options_.fs == nullptr) options_.fs = &posix_file_system();
  segment_bytes_max_ = options_.segment_bytes_max != 0 ? options_.segment_bytes_max : limits::wal_segment_bytes_max;
  open_initial_segment();
  thread_ = std::thread([this] { run(); });
}

WalWriter::~WalWriter() { stop(); }

void WalWriter::open_initial_segment() {
  FileSystem& fs = *options_.fs;
  const std::string& dir = options_.dir;
  auto fail = [&](const std::string& what, int err) {
    throw std::runtime_error("wal: " + what + ": " + describe_errno(err));
  };
  if (int err = fs.make_dirs(dir)) fail("cannot create " + dir, err);
  WalPosition at = options_.append_at;
  if (at.segment == 0) at = WalPosition{1, 0};
  const std::string path = dir + "/" + segment_file_name(at.segment);
  std::unique_ptr<AppendFile> file;
  if (int err = fs.open_append(path, file)) fail("cannot open " + path, err);

  if (at.offset == 0) {
    // Offset 0 means "no header yet" (fresh log, or recovery cut a torn header). Refuse to write over data.
    if (file->size() != 0)
      throw std::runtime_error("wal: " + path + " is not empty but the append position says it is new");
    std::string header;
    append_segment_header(header);
    if (int err = file->append(header)) fail("cannot write the header of " + path, err);
    if (int err = file->sync_data()) fail("fdatasync of " + path, err);
    if (int err = fs.sync_dir(dir)) fail("fsync of directory " + dir, err);
    at.offset = segment_header_bytes;
  } else {
    if (at.offset < segment_header_bytes || file->size() < at.offset)
      throw std::runtime_error("wal: " + path + " is shorter than the append position recovery reported");
    if (file->size() > at.offset) {
      // Bytes past the recovered end are not part of the log; appending after them would hide new records.
      if (int err = file->truncate(at.offset)) fail("cannot truncate " + path, err);
      if (int err = file->sync_data()) fail("fdatasync of " + path, err);
    }
  }
  file_ = std::move(file);
  position_ = at;
}

WalTicket WalWriter::submit(std::string payload, WalTicket depends_on, WalDone done) {
  std::string framed;
  append_frame(framed, payload);  // outside the lock: CRC work must not serialize submitters
  return submit_framed(std::move(framed), 1, depends_on, std::move(done));
}

WalTicket WalWriter::submit_framed(std::string framed, std::size_t records, WalTicket depends_on, WalDone done) {
  WalStatus status;
  WalTicket ticket;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ticket = next_ticket_++;
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
      queued_bytes_ += framed.size();
      queued_records_ += records;
      queue_.push_back(Pending{std::move(framed), records, ticket, std::move(done)});
      if (was_empty) wake_.notify_one();  // the writer only ever waits on an empty queue
      return ticket;
    }
    // Remember the failure so records that depend on this one fail too.
    add_failed_range_locked(ticket, ticket);
    stats_.failed_records += records;
  }
  if (done) done(status);
  return ticket;
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
  std::vector<Pending> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) return;  // stopping, and everything queued has been written
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
        queued_bytes_ -= bytes;
        queued_records_ -= records;
      }
    }
    write_batch(batch);
    batch.clear();
  }
}

int WalWriter::start_next_segment(bool& fatal, std::string& what) {
  FileSystem& fs = *options_.fs;
  const std::uint64_t next = position_.segment + 1;
  const std::string path = options_.dir + "/" + segment_file_name(next);
  std::unique_ptr<AppendFile> file;
  if (int err = fs.open_append(path, file)) return err;
  // A leftover from an earlier failed attempt holds no records (it never got past its header): start over.
  if (file->size() != 0)
    if (int err = file->truncate(0)) return err;
  std::string header;
  append_segment_header(header);
  if (int err = file->append(header)) {
    file.reset();
    fs.remove(path);  // best effort: a short last segment is a torn tail to recovery, and we retry next batch
    return err;
  }
  int err = file->sync_data();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.syncs;
  }
  if (err != 0) {
    fatal = true;
    what = "fdatasync of new segment " + path + " failed: " + describe_errno(err);
    return err;
  }
  // Without this the new name might not survive a crash even though its records were fdatasync'ed.
  if ((err = fs.sync_dir(options_.dir)) != 0) {
    fatal = true;
    what = "fsync of directory " + options_.dir + " failed: " + describe_errno(err);
    return err;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  file_ = std::move(file);
  position_ = WalPosition{next, segment_header_bytes};
  return 0;
}

void WalWriter::write_batch(std::vector<Pending>& batch) {
  if (broken_) {
    fail_batch(batch, WalStatus::io_error, {});
    return;
  }
  std::size_t total = 0, records = 0;
  for (const Pending& p : batch) {
    total += p.framed.size();
    records += p.records;
  }
  std::string buffer;
  buffer.reserve(total);
  for (const Pending& p : batch) buffer += p.framed;

  if (position_.offset > segment_header_bytes && position_.offset + buffer.size() > segment_bytes_max_) {
    bool fatal = false;
    std::string what;
    if (int err = start_next_segment(fatal, what)) {
      fail_batch(batch, fatal ? WalStatus::io_error : status_for_errno(err), what);
      return;
    }
  }

  const std::string path = options_.dir + "/" + segment_file_name(position_.segment);
  const std::uint64_t durable_size = position_.offset;
  if (int err = file_->append(buffer)) {
    // Cut any partial write so the next batch lands right after the last durable record.
    int cut = 0;
    if (file_->size() != durable_size) {
      cut = file_->truncate(durable_size);
      if (cut == 0) {
        cut = file_->sync_data();
        std::lock_guard<std::mutex> lock(mutex_);
        ++stats_.syncs;
      }
    }
    if (cut != 0) {
      fail_batch(batch, WalStatus::io_error,
                 "cannot cut failed write from " + path + " (" + describe_errno(err) + "): " + describe_errno(cut));
    } else {
      fail_batch(batch, status_for_errno(err), {});
    }
    return;
  }
  const int err = file_->sync_data();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.syncs;
    if (err == 0) {
      position_.offset += buffer.size();
      stats_.records += records;
      stats_.bytes += buffer.size();
      ++stats_.batches;
    }
  }
  if (err != 0) {
    fail_batch(batch, WalStatus::io_error, "fdatasync of " + path + " failed: " + describe_errno(err));
    return;
  }
  // Outside the lock: callbacks may submit follow-up records.
  for (Pending& p : batch)
    if (p.done) p.done(WalStatus::durable);
}

void WalWriter::fail_batch(std::vector<Pending>& batch, WalStatus status, const std::string& fatal_what) {
  std::vector<Pending> behind;
  bool call_fatal = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const WalTicket first = batch.empty() ? next_ticket_ : batch.front().ticket;
    if (next_ticket_ > first) add_failed_range_locked(first, next_ticket_ - 1);
    behind.swap(queue_);
    queued_bytes_ = 0;
    queued_records_ = 0;
    for (const Pending& p : batch) stats_.failed_records += p.records;
    for (const Pending& p : behind) stats_.failed_records += p.records;
    if (!fatal_what.empty() && !broken_) {
      broken_ = true;
      call_fatal = true;
    }
  }
  if (call_fatal && options_.on_fatal) options_.on_fatal(fatal_what);
  for (Pending& p : batch)
    if (p.done) p.done(status);
  for (Pending& p : behind)
    if (p.done) p.done(status);
}

}  // namespace tally::wal
