// Snapshot names, header and chunk framing. CRC32C and its masking are the WAL's (docs/wal_format.md), so
// one checksum implementation covers every byte Tally persists.
#include "snapshot/snapshot_format.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "wal/frame.hpp"

namespace tally::snapshot {
namespace {

constexpr char magic[8] = {'T', 'A', 'L', 'L', 'Y', 'S', 'N', 'P'};
constexpr char name_prefix[] = "snap-";
constexpr char name_suffix[] = ".snap";
constexpr std::size_t name_digits = 20;
constexpr std::uint32_t mask_delta = 0xa282ead8u;

std::uint32_t mask(std::uint32_t crc) { return ((crc >> 15) | (crc << 17)) + mask_delta; }

void store_le32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xffu));
}
void store_le64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xffu));
}
std::uint64_t load_le64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

bool parse_digits(std::string_view text, std::uint64_t& value) {
  if (text.size() != name_digits) return false;
  std::uint64_t v = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - digit) / 10) return false;
    v = v * 10 + digit;
  }
  value = v;
  return true;
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

std::string snapshot_dir_of(const std::string& data_dir) { return data_dir + "/" + snapshots_subdir; }
std::string wal_dir_of(const std::string& data_dir) { return data_dir + "/" + wal_subdir; }

std::string to_string(wal::WalPosition at) {
  return "segment " + std::to_string(at.segment) + " byte " + std::to_string(at.offset);
}

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
  if (!parse_digits(name.substr(prefix, name_digits), at.segment) ||
      !parse_digits(name.substr(prefix + name_digits + 1, name_digits), at.offset))
    return false;
  covered = at;
  return true;
}

bool parse_wal_segment_name(std::string_view name, std::uint64_t& number) {
  constexpr std::string_view prefix = "wal-", suffix = ".log";
  if (name.size() != prefix.size() + name_digits + suffix.size() || name.substr(0, prefix.size()) != prefix ||
      !ends_with(name, suffix))
    return false;
  return parse_digits(name.substr(prefix.size(), name_digits), number);
}

int list_snapshots(wal::FileSystem& fs, const std::string& dir, SnapshotListing& out) {
  out = SnapshotListing{};
  std::vector<std::string> names;
  if (int err = fs.list(dir, names)) return err == ENOENT ? 0 : err;
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
  return 0;
}

void append_header(std::string& out, wal::WalPosition covered) {
  const std::size_t start = out.size();
  out.append(magic, sizeof magic);
  store_le32(out, format_version);
  store_le64(out, covered.segment);
  store_le64(out, covered.offset);
  store_le32(out, mask(wal::crc32c(std::string_view(out).substr(start, header_bytes - 4))));
}

std::string parse_header(std::string_view data, wal::WalPosition& covered) {
  if (data.size() < header_bytes) return "file shorter than the snapshot header";
  if (std::memcmp(data.data(), magic, sizeof magic) != 0) return "bad snapshot magic (not a Tally snapshot)";
  if (load_le32(data.data() + header_bytes - 4) != mask(wal::crc32c(data.substr(0, header_bytes - 4))))
    return "snapshot header CRC mismatch";
  const std::uint32_t version = load_le32(data.data() + 8);
  if (version != format_version)
    return "unsupported snapshot version " + std::to_string(version) + "; this build reads " +
           std::to_string(format_version);
  covered = wal::WalPosition{load_le64(data.data() + 12), load_le64(data.data() + 20)};
  return "";
}

void append_chunk_frame(std::string& out, std::string_view payload) {
  if (!check_chunk_length(static_cast<std::uint32_t>(payload.size())).empty() || payload.size() > chunk_bytes_max)
    throw std::invalid_argument("snapshot: chunk payload must be 8..chunk_bytes_max bytes and a multiple of 8");
  const std::size_t start = out.size();
  store_le32(out, static_cast<std::uint32_t>(payload.size()));
  store_le32(out, mask(wal::crc32c(payload, wal::crc32c(std::string_view(out).substr(start, 4)))));
  out.append(payload);
}

std::string check_chunk_length(std::uint32_t length) {
  if (length == 0 || length % 8 != 0 || length > chunk_bytes_max) return "bad chunk length " + std::to_string(length);
  return "";
}

std::uint32_t load_le32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

bool chunk_crc_matches(std::string_view frame_header, std::string_view payload) {
  const std::uint32_t crc = wal::crc32c(payload, wal::crc32c(frame_header.substr(0, 4)));
  return load_le32(frame_header.data() + 4) == mask(crc);
}

}  // namespace tally::snapshot
