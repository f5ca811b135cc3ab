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

template <class Byte>
const Byte* skip_varint(const Byte* p) {
  while ((static_cast<unsigned char>(*p) & 0x80) != 0) ++p;
  return p + 1;
}

}  // namespace tally
