// LEB128 varints (7 bits a byte, low bits first, the top bit set while more bytes follow): the one encoding of the
// compact in-memory structures (history leaves, uid index entries). Not an on-disk format. The byte type is the
// caller's (char or unsigned char), so each structure keeps its own pointer type.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tally {

inline std::size_t varint_bytes(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

template <class Byte>
Byte* put_varint(Byte* p, std::uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<Byte>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<Byte>(v);
  return p;
}

template <class Byte>
const Byte* get_varint(const Byte* p, std::uint64_t& v) {
  v = 0;
  for (unsigned shift = 0;; shift += 7) {
    const auto byte = static_cast<unsigned char>(*p++);
    v |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) return p;
  }
}

// Decodes, without a loop, the varint whose first byte is the lowest of `word` (bytes loaded little-endian) and
// whose last byte is among the word's low `width` bytes: true with v set; false if none of those bytes ends it.
// The caller loads only bytes it may read (the varint's own and what follows it in the same object).
template <unsigned width>
bool get_varint_in_word(std::uint64_t word, std::uint64_t& v) {
  static_assert(width >= 1 && width <= 8, "a word holds 1..8 varint bytes");
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the first byte is the word's lowest");
  constexpr std::uint64_t top_bits = 0x8080808080808080ull >> (8 * (8 - width));
  const std::uint64_t stops = ~word & top_bits;  // each byte's "last byte" bit
  if (stops == 0) return false;
  const unsigned bits = static_cast<unsigned>(__builtin_ctzll(stops)) + 1;  // through the last byte's top bit
  if (bits < 64) word &= (std::uint64_t{1} << bits) - 1;
  word &= 0x7f7f7f7f7f7f7f7full;
  word = ((word & 0x7f007f007f007f00ull) >> 1) | (word & 0x007f007f007f007full);
  word = ((word & 0x3fff00003fff0000ull) >> 2) | (word & 0x00003fff00003fffull);
  v = ((word & 0x0fffffff00000000ull) >> 4) | (word & 0x000000000fffffffull);
  return true;
}

template <class Byte>
const Byte* skip_varint(const Byte* p) {
  while ((static_cast<unsigned char>(*p) & 0x80) != 0) ++p;
  return p + 1;
}

}  // namespace tally
