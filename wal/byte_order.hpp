// Little-endian fixed-width integers, the masked CRC and fixed-width decimal names shared by every on-disk
// format (WAL frames and headers, snapshot headers and chunks). One definition, so the formats cannot drift.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tally::wal {

inline void store_le32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xffu));
}
inline void store_le64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xffu));
}
// In place, into bytes already there (an encoder writing into a buffer it sized).
inline void put_le32(char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xffu);
}
inline void put_le64(char* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xffu);
}
inline std::uint32_t load_le32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
inline std::uint64_t load_le64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;  // compilers turn this into one load on little-endian targets
}

// LevelDB's masking: a CRC stored inside data that is itself CRC'd would otherwise be trivially structured.
inline std::uint32_t mask_crc(std::uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

// Exactly `digits` decimal digits, no overflow: the numbers in "wal-<20 digits>.log" and snapshot names.
inline bool parse_fixed_digits(std::string_view text, std::size_t digits, std::uint64_t& value) {
  if (text.size() != digits) return false;
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

}  // namespace tally::wal
