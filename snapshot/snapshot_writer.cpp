// Streaming merge into a new snapshot: the base is read chunk by chunk (CRC and decode checked by
// read_snapshot), WAL segments one at a time; at most one chunk and one write block are held in memory.
#include "snapshot/snapshot_writer.hpp"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/array.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <system_error>
#include <variant>

#include "snapshot/snapshot.capnp.h"
#include "snapshot/snapshot_format.hpp"
#include "snapshot/snapshot_reader.hpp"
#include "snapshot/wal_range.hpp"
#include "wal/record_codec.hpp"
#include "wal/wal_reader.hpp"

namespace tally::snapshot {
namespace {

// Words of a chunk message besides its payloads: root pointer, union struct, slack for the segment table.
constexpr std::size_t chunk_overhead_words = 16;

std::string describe_errno(int err) { return std::error_code(err, std::generic_category()).message(); }

bool cancelled(const std::atomic<bool>* cancel) { return cancel != nullptr && cancel->load(); }

// Accumulates record payloads into chunks and chunks into write blocks; every error is an errno value kept in
// error_ (0 = fine), so the first one wins and later calls are no-ops.
class SnapshotFileWriter {
 public:
  SnapshotFileWriter(wal::FileSystem& fs, std::string path, wal::WalPosition covered)
      : fs_(fs), path_(std::move(path)), covered_(covered) {}

  int open() {
    // A leftover from an interrupted build: open_append would append to it.
    if (int err = fs_.remove(path_); err != 0 && err != ENOENT) return error_ = err;
    if (int err = fs_.open_append(path_, file_)) return error_ = err;
    if (file_->size() != 0)
      if (int err = file_->truncate(0)) return error_ = err;
    append_header(out_, covered_);
    return 0;
  }

  bool add(std::string_view payload, bool is_user) {
    if (error_ != 0) return false;
    spans_.emplace_back(arena_.size(), payload.size());
    arena_.append(payload);
    ++(is_user ? users_ : transactions_);
    if (spans_.size() >= chunk_records_target || arena_.size() >= chunk_payload_bytes_target) flush_chunk();
    return error_ == 0;
  }

  int finish() {
    if (!spans_.empty()) flush_chunk();
    if (error_ != 0) return error_;
    capnp::MallocMessageBuilder message(chunk_overhead_words);
    auto footer = message.initRoot<schema::SnapshotChunk>().initFooter();
    footer.setCoveredSegment(covered_.segment);
    footer.setCoveredOffset(covered_.offset);
    footer.setRecords(users_ + transactions_);
    footer.setUsers(users_);
    footer.setTransactions(transactions_);
    footer.setRecordChunks(chunks_);
    append_message(message);
    write_out(true);
    if (error_ == 0) error_ = file_->sync_data();
    return error_;
  }

  void close() { file_.reset(); }
  int error() const { return error_; }
  std::uint64_t users() const { return users_; }
  std::uint64_t transactions() const { return transactions_; }
  std::uint64_t bytes() const { return written_; }

 private:
  void flush_chunk() {
    capnp::MallocMessageBuilder message(
        static_cast<unsigned>(chunk_overhead_words + spans_.size() + arena_.size() / sizeof(capnp::word)));
    auto list = message.initRoot<schema::SnapshotChunk>().initRecords(static_cast<unsigned>(spans_.size()));
    for (std::size_t i = 0; i < spans_.size(); ++i) {
      capnp::Data::Builder data = list.init(static_cast<unsigned>(i), static_cast<unsigned>(spans_[i].second));
      std::memcpy(data.begin(), arena_.data() + spans_[i].first, spans_[i].second);
    }
    append_message(message);
    ++chunks_;
    spans_.clear();
    arena_.clear();
    write_out(false);
  }

  void append_message(capnp::MallocMessageBuilder& message) {
    const kj::Array<capnp::word> flat = capnp::messageToFlatArray(message);
    const kj::ArrayPtr<const kj::byte> bytes = flat.asBytes();
    append_chunk_frame(out_, std::string_view(reinterpret_cast<const char*>(bytes.begin()), bytes.size()));
  }

  void write_out(bool all) {
    if (error_ != 0 || out_.empty() || (!all && out_.size() < write_block_bytes)) return;
    error_ = file_->append(out_);
    written_ += out_.size();
    out_.clear();
  }

  wal::FileSystem& fs_;
  std::string path_;
  wal::WalPosition covered_;
  std::unique_ptr<wal::AppendFile> file_;
  std::string arena_;                                       // payloads of the open chunk, back to back
  std::vector<std::pair<std::size_t, std::size_t>> spans_;  // (offset in arena_, length)
  std::string out_;                                         // framed bytes not yet appended
  std::uint64_t users_ = 0, transactions_ = 0, chunks_ = 0, written_ = 0;
  int error_ = 0;
};

enum class Attempt { done, base_invalid };

Attempt attempt(wal::FileSystem& fs, const std::string& data_dir, const SnapshotFile* base, wal::WalPosition through,
                const std::atomic<bool>* cancel, BuildResult& result) {
  const std::string final_path = snapshot_dir_of(data_dir) + "/" + snapshot_file_name(through);
  const std::string tmp_path = final_path + temp_suffix;
  SnapshotFileWriter writer(fs, tmp_path, through);
  auto give_up = [&](BuildResult::Status status, const std::string& error) {
    writer.close();
    fs.remove(tmp_path);  // best effort: a leftover .tmp is never read and is pruned later
    result.status = status;
    result.error = error;
    return Attempt::done;
  };
  if (int err = writer.open()) return give_up(BuildResult::Status::failed, tmp_path + ": " + describe_errno(err));

  wal::WalPosition from{1, 0};
  if (base != nullptr) {
    const SnapshotRead read = read_snapshot(fs, base->path, [&](const SnapshotRecord& r) {
      return !cancelled(cancel) && writer.add(r.payload, std::holds_alternative<UserCreated>(*r.record));
    });
    if (!read.ok && !read.rejected) {
      give_up(BuildResult::Status::failed, read.error);
      return Attempt::base_invalid;
    }
    if (!read.ok)
      return give_up(BuildResult::Status::failed,
                     cancelled(cancel) ? "cancelled" : tmp_path + ": " + describe_errno(writer.error()));
    from = base->covered;
    result.base = base->path;
  }
  std::string decode_error;
  const WalRange wal = read_wal_range(
      fs, wal_dir_of(data_dir), from, through,
      [&](wal::WalPosition at, std::string_view payload) {
        const std::optional<wal::Record> record = wal::decode(payload);
        if (!record) {
          decode_error = wal_dir_of(data_dir) + "/" + wal::segment_file_name(at.segment) + " at byte " +
                         std::to_string(at.offset) + ": record does not decode";
          return false;
        }
        return writer.add(payload, std::holds_alternative<UserCreated>(*record));
      },
      cancel);
  if (!wal.ok) {
    if (!wal.stopped) return give_up(BuildResult::Status::failed, wal.error);
    if (!decode_error.empty()) return give_up(BuildResult::Status::failed, decode_error);
    return give_up(BuildResult::Status::failed,
                   writer.error() != 0 ? tmp_path + ": " + describe_errno(writer.error()) : "cancelled");
  }
  result.wal_records = wal.records;
  if (result.wal_records == 0) return give_up(BuildResult::Status::nothing_new, "");
  if (int err = writer.finish()) return give_up(BuildResult::Status::failed, tmp_path + ": " + describe_errno(err));
  writer.close();
  if (int err = fs.rename(tmp_path, final_path))
    return give_up(BuildResult::Status::failed, "rename to " + final_path + ": " + describe_errno(err));
  // The file is complete either way; without this its name might not survive a crash.
  if (int err = fs.sync_dir(snapshot_dir_of(data_dir))) {
    result.status = BuildResult::Status::failed;
    result.error = "fsync of directory " + snapshot_dir_of(data_dir) + ": " + describe_errno(err);
    return Attempt::done;
  }
  result.status = BuildResult::Status::built;
  result.path = final_path;
  result.users = writer.users();
  result.transactions = writer.transactions();
  result.records = result.users + result.transactions;
  result.bytes = writer.bytes();
  return Attempt::done;
}

}  // namespace

BuildResult build_snapshot(wal::FileSystem& fs, const std::string& data_dir, wal::WalPosition covered_through,
                           const std::atomic<bool>* cancel) {
  const auto started = std::chrono::steady_clock::now();
  BuildResult result;
  result.covered = covered_through;
  auto finish = [&]() -> BuildResult {
    result.millis = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    return result;
  };
  const std::string dir = snapshot_dir_of(data_dir);
  if (int err = fs.make_dirs(dir)) {
    result.error = "cannot create " + dir + ": " + describe_errno(err);
    return finish();
  }
  // Makes the snapshots directory's own entry durable (a no-op after the first time, but cheap).
  if (int err = fs.sync_dir(data_dir)) {
    result.error = "fsync of directory " + data_dir + ": " + describe_errno(err);
    return finish();
  }
  SnapshotListing listing;
  if (int err = list_snapshots(fs, dir, listing)) {
    result.error = dir + ": cannot list: " + describe_errno(err);
    return finish();
  }
  for (const SnapshotFile& existing : listing.snapshots)
    if (same_position(existing.covered, covered_through) && validate_snapshot(fs, existing.path).ok) {
      result.status = BuildResult::Status::nothing_new;  // already there: rewriting it would add nothing
      return finish();
    }
  for (const SnapshotFile& base : listing.snapshots) {
    if (position_before(covered_through, base.covered)) continue;
    if (attempt(fs, data_dir, &base, covered_through, cancel, result) == Attempt::done) return finish();
    result.warnings.push_back("skipped invalid base snapshot: " + result.error);
    result.error.clear();
  }
  attempt(fs, data_dir, nullptr, covered_through, cancel, result);
  return finish();
}

}  // namespace tally::snapshot
