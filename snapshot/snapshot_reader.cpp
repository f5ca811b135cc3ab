// read_snapshot: header, then one chunk at a time through FileSystem::read_range (memory stays at one chunk
// however large the snapshot), then the footer, which must be last and agree with everything counted.
#include "snapshot/snapshot_reader.hpp"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/array.h>
#include <kj/exception.h>

#include <cstring>
#include <variant>

#include "ledger/assert.hpp"
#include "snapshot/snapshot.capnp.h"
#include "wal/byte_order.hpp"

namespace tally::snapshot {
namespace {

// Chunks hold only what this writer put there; the limit just bounds work on a damaged file.
constexpr int chunk_nesting_limit = 8;

class ChunkReader {
 public:
  ChunkReader(disk::FileSystem& fs, const std::string& path, SnapshotRead& out, const SnapshotVisitor& visit,
              SnapshotCheck check)
      : fs_(fs), path_(path), out_(out), visit_(visit), decode_(visit || check == SnapshotCheck::records) {}

  bool run() {
    std::uint64_t size = 0;
    if (disk::IoStatus status = fs_.file_size(path_, size); !status.ok()) return fail(std::move(status));
    out_.bytes = size;
    std::string header;
    if (disk::IoStatus status = fs_.read_range(path_, 0, header_bytes, header); !status.ok())
      return fail(std::move(status));
    if (disk::IoStatus status = parse_header(header, path_, out_.covered); !status.ok()) return fail(std::move(status));
    wal::WalPosition named;
    const std::size_t slash = path_.rfind('/');
    const std::string name = slash == std::string::npos ? path_ : path_.substr(slash + 1);
    if (parse_snapshot_name(name, named) && !same_position(named, out_.covered))
      return fail(0, "header covers " + to_string(out_.covered) + " but the name says " + to_string(named));

    std::uint64_t offset = header_bytes;
    for (;;) {
      if (offset == size) return fail(offset, "no footer: the snapshot is truncated");
      if (size - offset < chunk_frame_header_bytes) return fail(offset, "truncated chunk header");
      std::string frame_header;
      if (disk::IoStatus status = fs_.read_range(path_, offset, chunk_frame_header_bytes, frame_header); !status.ok())
        return fail(std::move(status));
      if (frame_header.size() != chunk_frame_header_bytes) return fail(offset, "file shrank while reading");
      const std::uint32_t length = wal::load_le32(frame_header.data());
      if (!chunk_length_ok(length)) return fail(offset, "bad chunk length " + std::to_string(length));
      if (size - offset - chunk_frame_header_bytes < length)
        return fail(offset, "chunk runs past the end of the file (truncated snapshot)");
      if (disk::IoStatus status = fs_.read_range(path_, offset + chunk_frame_header_bytes, length, payload_);
          !status.ok())
        return fail(std::move(status));
      if (payload_.size() != length) return fail(offset, "file shrank while reading");
      if (!chunk_crc_matches(frame_header, payload_)) return fail(offset, "bad chunk CRC");
      const std::uint64_t next = offset + chunk_frame_header_bytes + length;
      const Chunk chunk = decode_chunk(offset);
      if (chunk == Chunk::bad) return false;
      if (chunk == Chunk::footer) {
        if (next != size) return fail(next, "bytes after the footer");
        return true;
      }
      TALLY_ASSERT(next > offset, "each chunk moves the reader forward");
      offset = next;
    }
  }

 private:
  bool fail(disk::IoStatus status) {
    TALLY_ASSERT(!status.ok(), "a read fails with a reason");
    out_.status = std::move(status);
    out_.invalid = true;
    return false;
  }
  bool fail(std::uint64_t offset, const std::string& problem) {
    return fail(disk::IoStatus::damaged(path_, offset, problem));
  }
  // A record of a well-framed chunk did not decode or was rejected: the file passes the frames check.
  bool fail_record(std::uint64_t offset, const std::string& problem) {
    fail(offset, problem);
    out_.invalid = false;
    return false;
  }

  enum class Chunk { records, footer, bad };  // bad: out_.status says why

  Chunk decode_chunk(std::uint64_t offset) {
    const std::size_t words = payload_.size() / sizeof(capnp::word);
    // Cap'n Proto reads words in place: copy only if the buffer happens to be misaligned.
    kj::ArrayPtr<const capnp::word> view;
    kj::Array<capnp::word> aligned;
    if (reinterpret_cast<std::uintptr_t>(payload_.data()) % alignof(capnp::word) == 0) {
      view = kj::ArrayPtr<const capnp::word>(reinterpret_cast<const capnp::word*>(payload_.data()), words);
    } else {
      aligned = kj::heapArray<capnp::word>(words);
      std::memcpy(aligned.begin(), payload_.data(), payload_.size());
      view = aligned.asPtr();
    }
    try {
      capnp::ReaderOptions options;
      // Every word is visited at most once by a well-formed chunk; more can only come from damage.
      options.traversalLimitInWords = words + 16;
      options.nestingLimit = chunk_nesting_limit;
      capnp::FlatArrayMessageReader reader(view, options);
      if (reader.getEnd() != view.end()) {
        fail(offset, "chunk message does not fill its frame");
        return Chunk::bad;
      }
      const auto chunk = reader.getRoot<schema::SnapshotChunk>();
      switch (chunk.which()) {
        case schema::SnapshotChunk::RECORDS:
          return visit_records(offset, chunk.getRecords()) ? Chunk::records : Chunk::bad;
        case schema::SnapshotChunk::FOOTER: return check_footer(offset, chunk.getFooter()) ? Chunk::footer : Chunk::bad;
        default: fail(offset, "unknown chunk kind (written by a newer build?)"); return Chunk::bad;
      }
    } catch (const kj::Exception& e) {
      fail(offset, std::string("chunk does not decode: ") + e.getDescription().cStr());
      return Chunk::bad;
    }
  }

  bool visit_records(std::uint64_t offset, capnp::List<capnp::Data>::Reader records) {
    if (records.size() == 0) return fail(offset, "empty record chunk");
    if (!decode_) {
      out_.records += records.size();
      ++out_.chunks;
      return true;
    }
    for (std::uint32_t i = 0; i < records.size(); ++i) {
      const capnp::Data::Reader data = records[i];
      const std::string_view payload(reinterpret_cast<const char*>(data.begin()), data.size());
      // Into one record for the whole file: its strings' capacity is reused (no allocation per uid).
      if (!wal::decode_into(payload, record_))
        return fail_record(offset, "record " + std::to_string(i) + " of the chunk does not decode");
      if (const auto* tx = std::get_if<TransactionApplied>(&record_)) {
        ++out_.transactions;
        if (!out_.first_tx_at || tx->at < *out_.first_tx_at) out_.first_tx_at = tx->at;
        if (!out_.last_tx_at || tx->at > *out_.last_tx_at) out_.last_tx_at = tx->at;
      } else if (std::holds_alternative<UserUpdated>(record_)) {
        ++out_.user_updates;
      } else if (std::holds_alternative<UserCreated>(record_)) {
        ++out_.users;
      } else {
        ++out_.transactions;  // a uid reservation (docs/sharding.md) counts with the transactions
      }
      ++out_.records;
      if (visit_ && !visit_(SnapshotRecord{offset, i, payload, &record_})) {
        out_.rejected = true;
        return fail_record(offset, "record " + std::to_string(i) + " of the chunk rejected");
      }
    }
    ++out_.chunks;
    return true;
  }

  bool check_footer(std::uint64_t offset, schema::SnapshotFooter::Reader footer) {
    const wal::WalPosition covered{footer.getCoveredSegment(), footer.getCoveredOffset()};
    if (!same_position(covered, out_.covered))
      return fail(offset, "footer covers " + to_string(covered) + ", header " + to_string(out_.covered));
    if (!decode_) {  // only the totals this pass counted; the rest are taken from the footer
      out_.users = footer.getUsers();
      out_.transactions = footer.getTransactions();
      out_.user_updates = footer.getUserUpdates();
    } else {
      TALLY_ASSERT(out_.users + out_.transactions + out_.user_updates == out_.records,
                   "every decoded record is a user, a transaction or a user update");
    }
    if (footer.getRecords() != out_.records || footer.getUsers() != out_.users ||
        footer.getTransactions() != out_.transactions || footer.getRecordChunks() != out_.chunks ||
        footer.getUserUpdates() != out_.user_updates ||
        out_.users + out_.transactions + out_.user_updates != out_.records)
      return fail(offset, "footer totals (" + std::to_string(footer.getRecords()) + " records, " +
                              std::to_string(footer.getUsers()) + " users, " +
                              std::to_string(footer.getTransactions()) + " transactions, " +
                              std::to_string(footer.getRecordChunks()) + " chunks) differ from the file's (" +
                              std::to_string(out_.records) + ", " + std::to_string(out_.users) + ", " +
                              std::to_string(out_.transactions) + ", " + std::to_string(out_.chunks) + ")");
    return true;
  }

  disk::FileSystem& fs_;
  const std::string& path_;
  SnapshotRead& out_;
  const SnapshotVisitor& visit_;
  const bool decode_;
  std::string payload_;
  wal::Record record_;  // the record being visited
};

}  // namespace

SnapshotRead read_snapshot(disk::FileSystem& fs, const std::string& path, const SnapshotVisitor& visit) {
  SnapshotRead out;
  out.path = path;
  const bool ok = ChunkReader(fs, path, out, visit, SnapshotCheck::records).run();
  TALLY_ASSERT(ok == out.status.ok(), "a read's status says whether it succeeded");
  return out;
}

SnapshotRead validate_snapshot(disk::FileSystem& fs, const std::string& path, SnapshotCheck check) {
  SnapshotRead out;
  out.path = path;
  const bool ok = ChunkReader(fs, path, out, SnapshotVisitor(), check).run();
  TALLY_ASSERT(ok == out.status.ok(), "a read's status says whether it succeeded");
  return out;
}

std::optional<std::uint64_t> footer_transactions(disk::FileSystem& fs, const std::string& path) {
  capnp::MallocMessageBuilder builder;
  builder.initRoot<schema::SnapshotChunk>().initFooter();  // every field is data: all footers are this long
  const std::size_t length = capnp::computeSerializedSizeInWords(builder) * sizeof(capnp::word);
  std::uint64_t size = 0;
  if (!fs.file_size(path, size).ok() || size < header_bytes + chunk_frame_header_bytes + length) return std::nullopt;
  std::string frame;
  if (!fs.read_range(path, size - chunk_frame_header_bytes - length, chunk_frame_header_bytes + length, frame).ok() ||
      frame.size() != chunk_frame_header_bytes + length || wal::load_le32(frame.data()) != length)
    return std::nullopt;
  const std::string_view payload = std::string_view(frame).substr(chunk_frame_header_bytes);
  if (!chunk_crc_matches(std::string_view(frame).substr(0, chunk_frame_header_bytes), payload)) return std::nullopt;
  kj::Array<capnp::word> words = kj::heapArray<capnp::word>(length / sizeof(capnp::word));
  std::memcpy(words.begin(), payload.data(), length);
  try {
    capnp::FlatArrayMessageReader reader(words.asPtr());
    const auto chunk = reader.getRoot<schema::SnapshotChunk>();
    if (chunk.which() != schema::SnapshotChunk::FOOTER) return std::nullopt;
    return chunk.getFooter().getTransactions();
  } catch (const kj::Exception&) {
    return std::nullopt;
  }
}

SnapshotChoice newest_valid_snapshot(disk::FileSystem& fs, const std::string& snapshot_dir,
                                     wal::WalPosition not_after) {
  SnapshotChoice choice;
  SnapshotListing listing;
  choice.status = list_snapshots(fs, snapshot_dir, listing);
  if (!choice.status.ok()) return choice;
  for (const SnapshotFile& file : listing.snapshots) {
    if (position_before(not_after, file.covered)) continue;
    SnapshotRead read = validate_snapshot(fs, file.path);
    if (read.status.ok()) {
      choice.chosen = file;
      choice.read = std::move(read);
      break;
    }
    choice.skipped.push_back(read.status.message());
  }
  return choice;
}

}  // namespace tally::snapshot
