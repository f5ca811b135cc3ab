// decode's guard against content it would silently drop: which bits of a struct's data section and which of
// its pointers this build's schema gives meaning to, derived from the schema itself (Cap'n Proto reflection),
// so it cannot drift from wal_record.capnp. A record using anything else came from a newer build (an appended
// field, a new bit) or from damage that kept its CRC; either way applying it without that content could
// corrupt balances, like an unknown union member.
#pragma once

#include <capnp/any.h>
#include <capnp/schema.h>

#include <cstdint>
#include <vector>

#include <capnp/common.h>

namespace tally::wal {

class KnownContent {
 public:
  explicit KnownContent(capnp::StructSchema schema);
  // True when every set bit of the data section belongs to a known field (or the union's discriminant) and
  // every pointer past the known ones is null. Smaller sections (an older schema) are fine: they read as
  // defaults. Does not look into what the pointers point to.
  bool only_known(capnp::AnyStruct::Reader value) const;
  // The same test for one data word read straight from a message (record_codec_fast.hpp's canonical layout).
  bool known_data_word(std::size_t index, std::uint64_t word) const {
    return (word & ~(index < data_mask_.size() ? data_mask_[index] : 0)) == 0;
  }

 private:
  void mark_fields(capnp::StructSchema schema);
  void mark_bits(std::uint64_t first_bit, std::uint64_t bits);

  std::vector<std::uint64_t> data_mask_;  // one mask word per data section word (little-endian bit order)
  std::uint32_t pointers_ = 0;
};

}  // namespace tally::wal
