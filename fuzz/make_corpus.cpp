// Writes the binary seed inputs of fuzz/corpus/ (the WAL and snapshot targets; the text seeds are written by
// hand). Run after changing the WAL or snapshot format:  build-fuzz/fuzz/fuzz-make-corpus fuzz/corpus
// Each seed is an input as the target reads it: a mode byte (see the target's header comment), then the bytes.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "ledger/limits.hpp"
#include "disk/data_dir.hpp"
#include "memory_file_system.hpp"
#include "snapshot/snapshot_format.hpp"
#include "snapshot/snapshot_writer.hpp"
#include "wal/frame.hpp"
#include "wal/record_codec.hpp"
#include "wal/wal_position.hpp"

namespace {

using namespace tally;

constexpr UtcMicros jan1_2023 = 1'672'531'200'000'000;

std::vector<wal::Record> sample_records() {
  std::vector<wal::Record> out;
  out.emplace_back(UserCreated{1, "vasya", "", jan1_2023});
  out.emplace_back(UserCreated{2, "Zo\xC3\xAB \xF0\x9F\x99\x82", "signup-2", jan1_2023 + 1});
  out.emplace_back(TransactionApplied{"410eb361-1", 1, TxKind::deposit, 10'000, jan1_2023, true});
  out.emplace_back(TransactionApplied{std::string(limits::uid_bytes_max, 'u'), 2, TxKind::deposit,
                                      limits::amount_minor_max, limits::utc_micros_min, true});
  out.emplace_back(TransactionApplied{"w", 1, TxKind::withdraw, 1, limits::utc_micros_max - 1, false});
  out.emplace_back(UserUpdated{1, 2'500, jan1_2023 + 2, "billing"});
  return out;
}

std::string segment_of(const std::vector<wal::Record>& records) {
  std::string segment;
  wal::append_segment_header(segment);
  for (const wal::Record& record : records)
    wal::append_frame(segment, *std::visit([](const auto& r) { return wal::encode(r); }, record));
  return segment;
}

bool write(const std::string& dir, const std::string& name, const std::string& bytes) {
  std::ofstream out(dir + "/" + name, std::ios::binary);
  out << bytes;
  std::printf("%s/%s: %zu bytes\n", dir.c_str(), name.c_str(), bytes.size());
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR (fuzz/corpus)\n", argv[0]);
    return 2;
  }
  const std::string corpus = argv[1];
  const std::vector<wal::Record> records = sample_records();
  const std::string segment = segment_of(records);
  const std::string one_record = *std::visit([](const auto& r) { return wal::encode(r); }, records[3]);
  const std::string wal_dir = corpus + "/fuzz_wal_reader";
  bool ok = write(wal_dir, "segment", std::string(1, '\0') + segment);
  ok &= write(wal_dir, "segment-fix-crcs", std::string(1, '\1') + segment);
  ok &= write(wal_dir, "frames-after-header", std::string(1, '\3') + segment.substr(wal::segment_header_bytes));
  // Two segments, the first ending after the third record: mode 4 and the split position / 8, little-endian.
  const std::string first = segment_of({records[0], records[1], records[2]});
  const std::string second = segment_of({records[3], records[4]});
  const std::size_t split_words = first.size() / 8;
  ok &= write(wal_dir, "two-segments",
              std::string{'\4', static_cast<char>(split_words & 0xff), static_cast<char>(split_words >> 8)} + first +
                  second);
  ok &= write(wal_dir, "torn-tail", std::string(1, '\0') + segment.substr(0, segment.size() - 5));
  ok &= write(wal_dir, "bare-record", std::string(1, '\2') + one_record);

  // A snapshot of the same records, built by the real writer over a WAL in memory.
  fuzz::MemoryFileSystem fs;
  const disk::DataDir data_dir("/data");
  fs.files[wal::segment_path(data_dir.wal(), 1)] = segment;
  const wal::WalPosition end{1, segment.size()};
  const snapshot::BuildResult built = snapshot::build_snapshot(fs, data_dir, end);
  if (built.outcome != snapshot::BuildResult::Outcome::built) {
    std::fprintf(stderr, "build_snapshot: %s\n", built.status.message().c_str());
    return 1;
  }
  const std::string& snap = fs.files[built.path];
  const std::string snapshot_dir = corpus + "/fuzz_snapshot_reader";
  ok &= write(snapshot_dir, "snapshot", std::string(1, '\0') + snap);
  ok &= write(snapshot_dir, "snapshot-named-fix-crcs", std::string(1, '\3') + snap);
  ok &= write(snapshot_dir, "truncated", std::string(1, '\0') + snap.substr(0, snap.size() - 9));
  return ok ? 0 : 1;
}
