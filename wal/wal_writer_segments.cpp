// WalWriter's segment files: opening the one to write (resuming at recovery's logical end), the zeroed room it
// keeps ahead of that end while idle, and rotation (seal the old segment at its logical end, then create the next).
// The rules are docs/wal_format.md's "Pre-zeroed segments" and "Positional writes at the logical end".
#include <algorithm>
#include <stdexcept>

#include "ledger/assert.hpp"
#include "wal/frame.hpp"
#include "wal/wal_writer.hpp"

namespace tally::wal {
namespace {

[[noreturn]] void refuse_to_open(const disk::IoStatus& failure) {
  throw std::runtime_error("wal: " + failure.message());
}

const std::string& zero_chunk() {
  static const std::string zeros(limits::wal_zero_fill_chunk_bytes, '\0');
  return zeros;
}

}  // namespace

void WalWriter::open_initial_segment() {
  disk::FileSystem& fs = *options_.fs;
  const std::string& dir = options_.dir;
  if (disk::IoStatus status = fs.make_dirs(dir); !status.ok()) refuse_to_open(status);
  WalPosition at = options_.append_at;
  if (at.segment == 0) at = WalPosition{1, 0};
  const std::string path = segment_path(dir, at.segment);
  std::unique_ptr<disk::PositionalFile> file;
  if (disk::IoStatus status = fs.open_positional(path, file); !status.ok()) refuse_to_open(status);

  if (at.offset == 0) {
    // Offset 0 means "no header yet" (fresh log, or recovery cut a torn header). Refuse to write over data.
    if (file->size() != 0)
      refuse_to_open(disk::IoStatus::failed(path + " is not empty but the append position says it is new"));
    std::string header;
    append_segment_header(header);
    TALLY_ASSERT(header.size() == segment_header_bytes && valid_segment_header(header),
                 "the writer's segment header is one its reader accepts");
    if (disk::IoStatus status = file->write_at(0, header); !status.ok()) refuse_to_open(status);
    if (disk::IoStatus status = file->sync_data(); !status.ok()) refuse_to_open(status);
    if (disk::IoStatus status = fs.sync_dir(dir); !status.ok()) refuse_to_open(status);
    at.offset = segment_header_bytes;
  } else {
    if (at.offset < segment_header_bytes || file->size() < at.offset)
      refuse_to_open(disk::IoStatus::failed(path + " is shorter than the append position recovery reported"));
    if (file->size() > at.offset) adopt_tail(*file, path, at);
  }
  TALLY_ASSERT(file->size() >= at.offset, "the writer writes within the segment or at its end");
  zeroed_end_ = file->size();
  file_ = std::move(file);
  position_ = at;
}

void WalWriter::adopt_tail(disk::PositionalFile& file, const std::string& path, WalPosition at) {
  std::string tail;
  disk::IoStatus status = options_.fs->read_range(path, at.offset, static_cast<std::size_t>(file.size() - at.offset), tail);
  if (!status.ok()) refuse_to_open(status);
  const bool zeros = tail.size() == file.size() - at.offset &&
                     std::all_of(tail.begin(), tail.end(), [](char c) { return c == 0; });
  // Bytes past the recovered end that are not zeros are not part of the log; writing before them would leave
  // them behind the new records. Zeros are room: synced once here, so they count as the zero-fill's.
  if (!zeros) {
    if (status = file.truncate(at.offset); !status.ok()) refuse_to_open(status);
  }
  if (status = file.sync_data(); !status.ok()) refuse_to_open(status);
}

bool WalWriter::wants_zero_fill() const {
  if (options_.zero_fill_ahead_bytes == 0 || zero_fill_paused_ || broken_) return false;
  const std::uint64_t target = std::min<std::uint64_t>(position_.offset + options_.zero_fill_ahead_bytes, segment_bytes_max_);
  return zeroed_end_ < target;
}

void WalWriter::fill_zero_chunk() {
  const std::uint64_t target = std::min<std::uint64_t>(position_.offset + options_.zero_fill_ahead_bytes, segment_bytes_max_);
  TALLY_ASSERT(zeroed_end_ < target && file_->size() == zeroed_end_, "zeros are added at the file's end, up to the target");
  const std::size_t bytes = static_cast<std::size_t>(std::min<std::uint64_t>(zero_chunk().size(), target - zeroed_end_));
  // Check free space first rather than write until ENOSPC and cut back: that would take the disk's last bytes
  // for a moment, and a snapshot (or another process) writing then would fail. Wait for a written batch.
  std::uint64_t free = 0;
  if (!file_->free_bytes(free).ok() || free < bytes || free - bytes < options_.zero_fill_reserve_bytes) {
    zero_fill_paused_ = true;
    std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.zero_fill_low_space;
    return;
  }
  if (disk::IoStatus written = file_->write_at(zeroed_end_, std::string_view(zero_chunk()).substr(0, bytes));
      !written.ok()) {
    // ENOSPC shows here first, ahead of any commit. The partial zeros are harmless past the logical end; cut them
    // anyway (best effort) so the room stays "synced zeros", and wait for a written batch before trying again.
    if (file_->size() != zeroed_end_ && !file_->truncate(zeroed_end_).ok()) zeroed_end_ = file_->size();
    zero_fill_paused_ = true;
    return;
  }
  if (disk::IoStatus synced = file_->sync_data(); !synced.ok()) {
    std::vector<Pending> none;
    fail_batch(none, WalStatus::io_error, synced.append(" (zero-filling ahead of the log's end)"));
    return;
  }
  zeroed_end_ += bytes;
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.zero_filled_bytes += bytes;
}

bool WalWriter::seal_segment(std::vector<Pending>& batch) {
  if (file_->size() == position_.offset) return true;
  if (disk::IoStatus cut = file_->truncate(position_.offset); !cut.ok()) {
    zeroed_end_ = file_->size();
    fail_batch(batch, status_for(cut));  // the next segment must not exist while this one has a zero tail
    return false;
  }
  zeroed_end_ = position_.offset;
  disk::IoStatus synced = file_->sync_data();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.syncs;
  }
  if (!synced.ok()) {
    fail_batch(batch, WalStatus::io_error, synced.append(" (sealing a segment at its logical end)"));
    return false;
  }
  return true;
}

bool WalWriter::start_next_segment(std::vector<Pending>& batch) {
  disk::FileSystem& fs = *options_.fs;
  const std::uint64_t next = position_.segment + 1;
  const std::string path = segment_path(options_.dir, next);
  std::unique_ptr<disk::PositionalFile> file;
  disk::IoStatus status = fs.open_positional(path, file);
  // A leftover from an earlier failed attempt holds no records (it never got past its header): start over.
  if (status.ok() && file->size() != 0) status = file->truncate(0);
  std::string header;
  append_segment_header(header);
  if (status.ok()) {
    status = file->write_at(0, header);
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
  zeroed_end_ = segment_header_bytes;
  position_ = WalPosition{next, segment_header_bytes};
  return true;
}

}  // namespace tally::wal
