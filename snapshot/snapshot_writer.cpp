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
#include <variant>

#include "ledger/assert.hpp"
#include "snapshot/snapshot.capnp.h"
#include "snapshot/snapshot_format.hpp"
#include "snapshot/snapshot_reader.hpp"
#include "snapshot/wal_range.hpp"
#include "wal/record_codec.hpp"

namespace tally::snapshot {
namespace {

// Words of a chunk message besides its payloads: root pointer, union struct, slack for the segment table.
constexpr std::size_t chunk_overhead_words = 16;

bool cancelled(const std::atomic<bool>* cancel) { return cancel != nullptr && cancel->load(); }

disk::IoStatus cancellation() { return disk::IoStatus::failed("cancelled", ECANCELED); }

// Accumulates record payloads into chunks and chunks into write blocks; the first failure is kept in error_
// and makes later calls no-ops.
class SnapshotFileWriter {
 public:
  SnapshotFileWriter(disk::FileSystem& fs, std::string path, wal::WalPosition covered)
      : fs_(fs), path_(std::move(path)), covered_(covered) {}

  disk::IoStatus open() {
    // A leftover from an interrupted build: open_append would append to it.
    if (disk::IoStatus removed = fs_.remove(path_); !removed.ok() && !removed.not_found()) return error_ = removed;
    if (disk::IoStatus opened = fs_.open_append(path_, file_); !opened.ok()) return error_ = opened;
    if (file_->size() != 0)
      if (disk::IoStatus cut = file_->truncate(0); !cut.ok()) return error_ = cut;
    append_header(out_, covered_);
    return {};
  }

  bool add(std::string_view payload, const wal::Record& record) {
    if (!error_.ok()) return false;
    spans_.emplace_back(arena_.size(), payload.size());
    arena_.append(payload);
    // A uid reservation (docs/sharding.md) counts with the transactions, as the reader counts it.
    ++(std::holds_alternative<UserCreated>(record)   ? users_
       : std::holds_alternative<UserUpdated>(record) ? user_updates_
                                                     : transactions_);
    if (spans_.size() >= chunk_records_target || arena_.size() >= chunk_payload_bytes_target) flush_chunk();
    return error_.ok();
  }

  disk::IoStatus finish() {
    if (!spans_.empty()) flush_chunk();
    if (!error_.ok()) return error_;
    // The footer promises what the chunks hold: every record added is in a chunk, counted once.
    TALLY_ASSERT(records_in_chunks_ == records(), "the footer's totals are the records written");
    capnp::MallocMessageBuilder message(chunk_overhead_words);
    auto footer = message.initRoot<schema::SnapshotChunk>().initFooter();
    footer.setCoveredSegment(covered_.segment);
    footer.setCoveredOffset(covered_.offset);
    footer.setRecords(records());
    footer.setUserUpdates(user_updates_);
    footer.setUsers(users_);
    footer.setTransactions(transactions_);
    footer.setRecordChunks(chunks_);
    append_message(message);
    write_out(true);
    if (error_.ok()) {
      TALLY_ASSERT(file_->size() == written_, "the file holds exactly what was written");
      error_ = file_->sync_data();
    }
    return error_;
  }

  void close() { file_.reset(); }
  const disk::IoStatus& error() const { return error_; }
  std::uint64_t users() const { return users_; }
  std::uint64_t transactions() const { return transactions_; }
  std::uint64_t records() const { return users_ + transactions_ + user_updates_; }
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
    records_in_chunks_ += spans_.size();
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
    if (!error_.ok() || out_.empty() || (!all && out_.size() < write_block_bytes)) return;
    error_ = file_->append(out_);
    written_ += out_.size();
    out_.clear();
  }

  disk::FileSystem& fs_;
  std::string path_;
  wal::WalPosition covered_;
  std::unique_ptr<disk::AppendFile> file_;
  std::string arena_;                                       // payloads of the open chunk, back to back
  std::vector<std::pair<std::size_t, std::size_t>> spans_;  // (offset in arena_, length)
  std::string out_;                                         // framed bytes not yet appended
  std::uint64_t users_ = 0, transactions_ = 0, user_updates_ = 0, chunks_ = 0, written_ = 0, records_in_chunks_ = 0;
  disk::IoStatus error_;
};

enum class Attempt { done, base_invalid };

Attempt attempt(disk::FileSystem& fs, const disk::DataDir& data_dir, const SnapshotFile* base,
                wal::WalPosition through, const std::atomic<bool>* cancel, BuildResult& result) {
  const std::string final_path = data_dir.snapshots() + "/" + snapshot_file_name(through);
  const std::string tmp_path = final_path + temp_suffix;
  SnapshotFileWriter writer(fs, tmp_path, through);
  auto give_up = [&](BuildResult::Outcome outcome, disk::IoStatus status) {
    TALLY_ASSERT(status.ok() == (outcome != BuildResult::Outcome::failed), "a failed build says why");
    writer.close();
    static_cast<void>(fs.remove(tmp_path));  // best effort: a leftover .tmp is never read and is pruned later
    result.outcome = outcome;
    result.status = std::move(status);
    return Attempt::done;
  };
  auto failed = [&](disk::IoStatus status) { return give_up(BuildResult::Outcome::failed, std::move(status)); };
  if (disk::IoStatus opened = writer.open(); !opened.ok()) return failed(std::move(opened));

  wal::WalPosition from{1, 0};
  std::uint64_t base_records = 0;
  if (base != nullptr) {
    const SnapshotRead read = read_snapshot(fs, base->path, [&](const SnapshotRecord& r) {
      return !cancelled(cancel) && writer.add(r.payload, *r.record);
    });
    if (!read.status.ok() && !read.rejected) {
      failed(read.status);
      return Attempt::base_invalid;
    }
    if (!read.status.ok()) return failed(cancelled(cancel) ? cancellation() : writer.error());
    from = base->covered;
    base_records = read.records;
    result.base = base->path;
  }
  disk::IoStatus decode_error;
  const WalRange wal = read_wal_range(
      fs, data_dir.wal(), from, through,
      [&](wal::WalPosition at, std::string_view payload) {
        const std::optional<wal::Record> record = wal::decode(payload);
        if (!record) {
          decode_error = disk::IoStatus::damaged(wal::segment_path(data_dir.wal(), at.segment), at.offset,
                                                 "record does not decode");
          return false;
        }
        return writer.add(payload, *record);
      },
      cancel);
  if (!wal.status.ok()) {
    if (!wal.stopped) return failed(wal.status);
    if (!decode_error.ok()) return failed(decode_error);
    return failed(!writer.error().ok() ? writer.error() : cancellation());
  }
  result.wal_records = wal.records;
  if (result.wal_records == 0) return give_up(BuildResult::Outcome::nothing_new, {});
  if (disk::IoStatus finished = writer.finish(); !finished.ok()) return failed(std::move(finished));
  TALLY_ASSERT(writer.records() == base_records + wal.records,
               "a snapshot holds every record of its base and of the WAL read after it");
  writer.close();
  if (disk::IoStatus renamed = fs.rename(tmp_path, final_path); !renamed.ok()) return failed(std::move(renamed));
  // The file is complete either way; without this its name might not survive a crash.
  if (disk::IoStatus synced = fs.sync_dir(data_dir.snapshots()); !synced.ok()) {
    result.outcome = BuildResult::Outcome::failed;
    result.status = std::move(synced);
    return Attempt::done;
  }
  result.outcome = BuildResult::Outcome::built;
  result.path = final_path;
  result.users = writer.users();
  result.transactions = writer.transactions();
  result.records = writer.records();
  result.bytes = writer.bytes();
  return Attempt::done;
}

}  // namespace

BuildResult build_snapshot(disk::FileSystem& fs, const disk::DataDir& data_dir, wal::WalPosition covered_through,
                           const std::atomic<bool>* cancel) {
  const auto started = std::chrono::steady_clock::now();
  BuildResult result;
  result.covered = covered_through;
  auto finish = [&]() -> BuildResult {
    result.millis = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    return result;
  };
  auto fail = [&](disk::IoStatus status) {
    result.outcome = BuildResult::Outcome::failed;
    result.status = std::move(status);
    return finish();
  };
  const std::string& dir = data_dir.snapshots();
  if (disk::IoStatus made = fs.make_dirs(dir); !made.ok()) return fail(std::move(made));
  // Makes the snapshots directory's own entry durable (a no-op after the first time, but cheap).
  if (disk::IoStatus synced = fs.sync_dir(data_dir.root()); !synced.ok()) return fail(std::move(synced));
  SnapshotListing listing;
  if (disk::IoStatus listed = list_snapshots(fs, dir, listing); !listed.ok()) return fail(std::move(listed));
  for (const SnapshotFile& existing : listing.snapshots)
    if (same_position(existing.covered, covered_through) && validate_snapshot(fs, existing.path).status.ok()) {
      result.outcome = BuildResult::Outcome::nothing_new;  // already there: rewriting it would add nothing
      return finish();
    }
  for (const SnapshotFile& base : listing.snapshots) {
    if (position_before(covered_through, base.covered)) continue;
    if (attempt(fs, data_dir, &base, covered_through, cancel, result) == Attempt::done) return finish();
    result.warnings.push_back("skipped invalid base snapshot: " + result.status.message());
    result.status = disk::IoStatus();
  }
  attempt(fs, data_dir, nullptr, covered_through, cancel, result);
  return finish();
}

}  // namespace tally::snapshot
