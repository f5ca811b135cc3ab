// WAL framing: CRC32C (SSE4.2 when available, slicing-by-8 otherwise), CRC masking, record frames and the
// segment header. Layout and rationale: docs/wal_format.md.
#include "wal/frame.hpp"

#include <array>
#include <cstring>
#include <stdexcept>

#include "ledger/limits.hpp"
#include "wal/byte_order.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#define TALLY_WAL_HAVE_SSE42_PATH 1
#endif

namespace tally::wal {
namespace {

constexpr std::uint32_t castagnoli_reflected = 0x82F63B78u;
constexpr char segment_magic[8] = {'T', 'A', 'L', 'L', 'Y', 'W', 'A', 'L'};

// tables[k][b] = CRC contribution of byte b followed by k zero bytes; lets us fold 8 bytes per step.
struct SliceTables {
  std::array<std::array<std::uint32_t, 256>, 8> t{};
  constexpr SliceTables() {
    for (std::uint32_t b = 0; b < 256; ++b) {
      std::uint32_t crc = b;
      for (int i = 0; i < 8; ++i) crc = (crc >> 1) ^ ((crc & 1u) ? castagnoli_reflected : 0u);
      t[0][b] = crc;
    }
    for (std::size_t k = 1; k < 8; ++k)
      for (std::size_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xffu];
  }
};
constexpr SliceTables tables;

std::uint32_t mask(std::uint32_t crc) { return mask_crc(crc); }

#ifdef TALLY_WAL_HAVE_SSE42_PATH
// The register form (not inverted): what the crc instruction leaves after `n` more bytes from `c`.
__attribute__((target("sse4.2"))) std::uint64_t crc32c_sse42_raw(const unsigned char* p, std::size_t n,
                                                                 std::uint64_t c) {
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);  // x86 is little-endian, unaligned loads are fine
    c = _mm_crc32_u64(c, word);
  }
  auto c32 = static_cast<std::uint32_t>(c);
  for (; n > 0; ++p, --n) c32 = _mm_crc32_u8(c32, *p);
  return c32;
}

__attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42(std::string_view data, std::uint32_t crc) {
  const auto c = crc32c_sse42_raw(reinterpret_cast<const unsigned char*>(data.data()), data.size(), ~crc);
  return ~static_cast<std::uint32_t>(c);
}

// crc32c(payload, crc32c(its 4 length bytes)) in one pass: the length word goes in as one instruction (the
// instruction takes a 32-bit value's bytes low first, as they lie in the frame).
__attribute__((target("sse4.2"))) std::uint32_t frame_crc_sse42(std::uint32_t length, std::string_view payload) {
  const std::uint64_t c = _mm_crc32_u32(~0u, length);
  return ~static_cast<std::uint32_t>(
      crc32c_sse42_raw(reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), c));
}

bool cpu_has_sse42() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
}
#endif

}  // namespace

namespace detail {
// Not in the header: exposed only so tests can check the table path against the hardware path.
std::uint32_t crc32c_portable(std::string_view data, std::uint32_t crc) {
  auto p = reinterpret_cast<const unsigned char*>(data.data());
  std::size_t n = data.size();
  std::uint32_t c = ~crc;
  for (; n >= 8; p += 8, n -= 8) {
    const std::uint64_t w = load_le64(reinterpret_cast<const char*>(p)) ^ c;
    c = tables.t[7][w & 0xffu] ^ tables.t[6][(w >> 8) & 0xffu] ^ tables.t[5][(w >> 16) & 0xffu] ^
        tables.t[4][(w >> 24) & 0xffu] ^ tables.t[3][(w >> 32) & 0xffu] ^ tables.t[2][(w >> 40) & 0xffu] ^
        tables.t[1][(w >> 48) & 0xffu] ^ tables.t[0][w >> 56];
  }
  for (; n > 0; ++p, --n) c = tables.t[0][(c ^ *p) & 0xffu] ^ (c >> 8);
  return ~c;
}
}  // namespace detail

std::uint32_t crc32c(std::string_view data, std::uint32_t crc) {
#ifdef TALLY_WAL_HAVE_SSE42_PATH
  static const bool hardware = cpu_has_sse42();
  if (hardware) return crc32c_sse42(data, crc);
#endif
  return detail::crc32c_portable(data, crc);
}

namespace {
// A frame's CRC: over its 4 length bytes (`header`), then the payload (docs/wal_format.md). The reader's, once a
// record: one call on the hardware path rather than two.
std::uint32_t frame_crc(std::string_view header, std::string_view payload) {
#ifdef TALLY_WAL_HAVE_SSE42_PATH
  static const bool hardware = cpu_has_sse42();
  if (hardware) return frame_crc_sse42(load_le32(header.data()), payload);
#endif
  return crc32c(payload, crc32c(header));
}
}  // namespace

void append_segment_header(std::string& out) {
  const std::size_t start = out.size();
  out.append(segment_magic, sizeof segment_magic);
  store_le32(out, format_version);
  store_le32(out, mask(crc32c(std::string_view(out).substr(start, 12))));
}

bool valid_segment_header(std::string_view data) {
  if (data.size() < segment_header_bytes) return false;
  if (std::memcmp(data.data(), segment_magic, sizeof segment_magic) != 0) return false;
  if (load_le32(data.data() + 12) != mask(crc32c(data.substr(0, 12)))) return false;
  return load_le32(data.data() + 8) == format_version;
}

namespace {
void check_payload_size(std::size_t bytes) {
  // A bad payload is a programming error upstream (the codec only makes valid ones); refuse loudly.
  if (bytes == 0 || bytes > limits::wal_record_bytes_max || bytes % 8 != 0)
    throw std::invalid_argument("wal: payload must be 1..wal_record_bytes_max bytes and a multiple of 8");
}
}  // namespace

void append_frame(std::string& out, std::string_view payload) {
  check_payload_size(payload.size());
  const std::size_t start = out.size();
  out.reserve(start + frame_header_bytes + payload.size());
  store_le32(out, static_cast<std::uint32_t>(payload.size()));
  const std::uint32_t crc = crc32c(payload, crc32c(std::string_view(out).substr(start, 4)));
  store_le32(out, mask(crc));
  out.append(payload);
}

void seal_frame(std::string& out, std::size_t frame_start) {
  if (out.size() < frame_start + frame_header_bytes)
    throw std::invalid_argument("wal: a sealed frame needs room for its header");
  const std::size_t payload_at = frame_start + frame_header_bytes;
  check_payload_size(out.size() - payload_at);
  put_le32(&out[frame_start], static_cast<std::uint32_t>(out.size() - payload_at));
  const std::string_view text(out);
  const std::uint32_t crc = crc32c(text.substr(payload_at), crc32c(text.substr(frame_start, 4)));
  put_le32(&out[frame_start + 4], mask(crc));
}

FrameRead read_frame(std::string_view data, std::size_t offset) {
  FrameRead r;
  if (offset >= data.size()) {
    r.status = FrameStatus::end;
    return r;
  }
  if (data.size() - offset < frame_header_bytes) {
    r.status = FrameStatus::truncated;
    return r;
  }
  const std::uint32_t length = load_le32(data.data() + offset);
  if (length == 0 || length % 8 != 0 || length > limits::wal_record_bytes_max) {
    r.status = FrameStatus::bad_length;
    return r;
  }
  if (data.size() - offset - frame_header_bytes < length) {
    r.status = FrameStatus::truncated;
    return r;
  }
  const std::string_view payload = data.substr(offset + frame_header_bytes, length);
  const std::uint32_t crc = frame_crc(data.substr(offset, 4), payload);
  if (load_le32(data.data() + offset + 4) != mask(crc)) {
    r.status = FrameStatus::bad_crc;
    return r;
  }
  r.status = FrameStatus::ok;
  r.payload = payload;
  r.next_offset = offset + frame_header_bytes + length;
  return r;
}

}  // namespace tally::wal
