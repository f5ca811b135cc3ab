// Snapshot names, header and chunk framing. CRC32C and its masking are the WAL's (docs/wal_format.md), so
// one checksum implementation covers every byte Tally persists.
#include "snapshot/snapshot_format.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "ledger/assert.hpp"
#include "wal/byte_order.hpp"
#include "wal/frame.hpp"

namespace tally::snapshot {
namespace {

constexpr char magic[8] = {'T', 'A', 'L', 'L', 'Y', 'S', 'N', 'P'};
constexpr char name_prefix[] = "snap-";
constexpr char name_suffix[] = ".snap";
constexpr std::size_t name_digits = 20;

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

std::string snapshot_file_name(wal::WalPosition covered) {
  char name[80];
  std::snprintf(name, sizeof name, "snap-%020llu-%020llu.snap", static_cast<unsigned long long>(covered.segment),
                static_cast<unsigned long long>(covered.offset));
  return name;
}

bool parse_snapshot_name(std::string_view name, wal::WalPosition& covered) {
  const std::size_t prefix = sizeof name_prefix - 1, suffix = sizeof name_suffix - 1;
  if (name.size() != prefix + name_digits + 1 + name_digits + suffix) return false;
  if (name.substr(0, prefix) != name_prefix || !ends_with(name, name_suffix) || name[prefix + name_digits] != '-')
    return false;
  wal::WalPosition at;
  if (!wal::parse_fixed_digits(name.substr(prefix, name_digits), name_digits, at.segment) ||
      !wal::parse_fixed_digits(name.substr(prefix + name_digits + 1, name_digits), name_digits, at.offset))
    return false;
  covered = at;
  return true;
}

disk::IoStatus list_snapshots(disk::FileSystem& fs, const std::string& dir, SnapshotListing& out) {
  out = SnapshotListing{};
  std::vector<std::string> names;
  if (disk::IoStatus listed = fs.list(dir, names); !listed.ok()) {
    if (listed.not_found()) return {};
    return listed;
  }
  for (const std::string& name : names) {
    wal::WalPosition covered;
    if (parse_snapshot_name(name, covered)) {
      out.snapshots.push_back(SnapshotFile{name, dir + "/" + name, covered});
    } else if (ends_with(name, temp_suffix) &&
               parse_snapshot_name(std::string_view(name).substr(0, name.size() - (sizeof temp_suffix - 1)), covered)) {
      out.temp_paths.push_back(dir + "/" + name);
    }
  }
  std::sort(out.snapshots.begin(), out.snapshots.end(),
            [](const SnapshotFile& a, const SnapshotFile& b) { return position_before(b.covered, a.covered); });
  std::sort(out.temp_paths.begin(), out.temp_paths.end());
  return {};
}

void append_header(std::string& out, wal::WalPosition covered) {
  const std::size_t start = out.size();
  out.append(magic, sizeof magic);
  wal::store_le32(out, format_version);
  wal::store_le64(out, covered.segment);
  wal::store_le64(out, covered.offset);
  wal::store_le32(out, wal::mask_crc(wal::crc32c(std::string_view(out).substr(start, header_bytes - 4))));
  TALLY_ASSERT(out.size() - start == header_bytes, "the snapshot header is header_bytes long");
}

disk::IoStatus parse_header(std::string_view data, const std::string& path, wal::WalPosition& covered) {
  auto damaged = [&path](const std::string& what) { return disk::IoStatus::damaged(path, 0, what); };
  if (data.size() < header_bytes) return damaged("file shorter than the snapshot header");
  if (std::memcmp(data.data(), magic, sizeof magic) != 0) return damaged("bad snapshot magic (not a Tally snapshot)");
  if (wal::load_le32(data.data() + header_bytes - 4) != wal::mask_crc(wal::crc32c(data.substr(0, header_bytes - 4))))
    return damaged("snapshot header CRC mismatch");
  const std::uint32_t version = wal::load_le32(data.data() + 8);
  if (version != format_version)
    return damaged("unsupported snapshot version " + std::to_string(version) + "; this build reads " +
                   std::to_string(format_version));
  covered = wal::WalPosition{wal::load_le64(data.data() + 12), wal::load_le64(data.data() + 20)};
  return {};
}

void append_chunk_frame(std::string& out, std::string_view payload) {
  if (payload.size() > chunk_bytes_max || !chunk_length_ok(static_cast<std::uint32_t>(payload.size())))
    throw std::invalid_argument("snapshot: chunk payload must be 8..chunk_bytes_max bytes and a multiple of 8");
  const std::size_t start = out.size();
  wal::store_le32(out, static_cast<std::uint32_t>(payload.size()));
  wal::store_le32(out, wal::mask_crc(wal::crc32c(payload, wal::crc32c(std::string_view(out).substr(start, 4)))));
  out.append(payload);
}

bool chunk_length_ok(std::uint32_t length) { return length != 0 && length % 8 == 0 && length <= chunk_bytes_max; }

bool chunk_crc_matches(std::string_view frame_header, std::string_view payload) {
  const std::uint32_t crc = wal::crc32c(payload, wal::crc32c(frame_header.substr(0, 4)));
  return wal::load_le32(frame_header.data() + 4) == wal::mask_crc(crc);
}

}  // namespace tally::snapshot
