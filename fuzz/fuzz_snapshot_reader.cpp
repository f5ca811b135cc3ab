// libFuzzer target: the snapshot reader on arbitrary bytes. read_snapshot, validate_snapshot (frames only) and
// validate_snapshot (records) must agree: a file read whole is valid by both checks with the same totals, the
// totals add up, and every record visited is valid and re-encodes to the same information. Never a crash.
//
// Input: byte 0 is a mode, the rest the file. Mode bit 0: fix the header CRC and every chunk's CRC (so
// mutations reach the chunk and record decoders); bit 1: name the file after its header's position (so the
// name check passes and newest_valid_snapshot lists it); otherwise it is snap-...1-...16.snap.
#include <cstddef>
#include <cstdint>
#include <string>

#include "capnp_equivalence.hpp"
#include "fuzz_check.hpp"
#include "disk/data_dir.hpp"
#include "memory_file_system.hpp"
#include "snapshot/snapshot_format.hpp"
#include "snapshot/snapshot_reader.hpp"
#include "wal/byte_order.hpp"
#include "wal/frame.hpp"

namespace {

using namespace tally;

const std::string snapshot_dir = disk::DataDir("/data").snapshots();

void store_crc(std::string& file, std::size_t at, std::uint32_t crc) {
  for (int i = 0; i < 4; ++i) file[at + i] = static_cast<char>((crc >> (8 * i)) & 0xffu);
}

void fix_crcs(std::string& file) {
  if (file.size() < snapshot::header_bytes) return;
  const std::size_t crc_at = snapshot::header_bytes - 4;
  store_crc(file, crc_at, wal::mask_crc(wal::crc32c(std::string_view(file).substr(0, crc_at))));
  for (std::size_t at = snapshot::header_bytes; file.size() - at >= snapshot::chunk_frame_header_bytes;) {
    const std::uint32_t length = wal::load_le32(file.data() + at);
    if (!snapshot::chunk_length_ok(length) ||
        length > file.size() - at - snapshot::chunk_frame_header_bytes)
      return;
    const std::string_view frame(file.data() + at, snapshot::chunk_frame_header_bytes + length);
    store_crc(file, at + 4,
              wal::mask_crc(wal::crc32c(frame.substr(snapshot::chunk_frame_header_bytes),
                                        wal::crc32c(frame.substr(0, 4)))));
    at += snapshot::chunk_frame_header_bytes + length;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  std::string file(fuzz::as_text(data + 1, size - 1));
  if (mode & 1) fix_crcs(file);
  wal::WalPosition named{1, 16};
  // Leaves `named` alone when the header is unreadable.
  if (mode & 2) static_cast<void>(snapshot::parse_header(file, "fuzz", named));
  fuzz::MemoryFileSystem fs;
  const std::string path = snapshot_dir + "/" + snapshot::snapshot_file_name(named);
  fs.files[path] = file;

  std::uint64_t visited = 0, users = 0, transactions = 0, user_updates = 0;
  const snapshot::SnapshotRead read = snapshot::read_snapshot(fs, path, [&](const snapshot::SnapshotRecord& r) {
    FUZZ_CHECK(r.record != nullptr, "a record visited without its decoding");
    const std::string bytes = fuzz::check_round_trip(*r.record);
    FUZZ_CHECK(fuzz::same_information(r.payload, bytes), "a snapshot record carries content decode dropped");
    ++visited;
    // A uid reservation counts with the transactions, as the reader counts it.
    (std::holds_alternative<UserCreated>(*r.record)   ? users
     : std::holds_alternative<UserUpdated>(*r.record) ? user_updates
                                                      : transactions) += 1;
    return true;
  });
  const snapshot::SnapshotRead frames = snapshot::validate_snapshot(fs, path, snapshot::SnapshotCheck::frames);
  const snapshot::SnapshotRead records = snapshot::validate_snapshot(fs, path, snapshot::SnapshotCheck::records);
  FUZZ_CHECK(fs.files.size() == 1 && fs.files[path] == file, "reading a snapshot changed it");
  FUZZ_CHECK(read.status.ok() || !read.status.message().empty(), "a failed read without an error message");
  FUZZ_CHECK(read.status.ok() == records.status.ok(), "read_snapshot and validate_snapshot(records) disagree");
  if (!read.status.ok()) return 0;
  FUZZ_CHECK(frames.status.ok(), "a snapshot read whole fails the frames-only check: " + frames.status.message());
  FUZZ_CHECK(read.records == visited && read.users == users && read.transactions == transactions &&
                 read.user_updates == user_updates,
             "totals differ from the records visited");
  FUZZ_CHECK(read.records == read.users + read.transactions + read.user_updates,
             "records != users + transactions + user updates");
  FUZZ_CHECK(frames.records == read.records && frames.users == read.users &&
                 frames.transactions == read.transactions && records.records == read.records,
             "the checks disagree on the totals");
  FUZZ_CHECK(read.first_tx_at.has_value() == (read.transactions > 0), "first transaction time without transactions");
  FUZZ_CHECK(!read.first_tx_at || *read.first_tx_at <= *read.last_tx_at, "first transaction after the last");
  if (mode & 2) {
    const snapshot::SnapshotChoice choice = snapshot::newest_valid_snapshot(fs, snapshot_dir);
    FUZZ_CHECK(choice.status.ok() && choice.chosen && choice.chosen->path == path, "a valid snapshot is not chosen");
  }
  return 0;
}
