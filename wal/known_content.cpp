// KnownContent: the data-section bit mask and pointer count of a struct, from its schema's field slots.
#include "wal/known_content.hpp"

#include <capnp/schema.capnp.h>

#include <cstring>

#include "ledger/assert.hpp"

namespace tally::wal {
namespace {

// Width in the data section of a field of this type; 0 for pointers and Void.
std::uint64_t data_bits(capnp::schema::Type::Which type) {
  using T = capnp::schema::Type;
  switch (type) {
    case T::BOOL: return 1;
    case T::INT8:
    case T::UINT8: return 8;
    case T::INT16:
    case T::UINT16:
    case T::ENUM: return 16;
    case T::INT32:
    case T::UINT32:
    case T::FLOAT32: return 32;
    case T::INT64:
    case T::UINT64:
    case T::FLOAT64: return 64;
    default: return 0;
  }
}

}  // namespace

KnownContent::KnownContent(capnp::StructSchema schema) {
  const auto layout = schema.getProto().getStruct();
  data_mask_.assign(layout.getDataWordCount(), 0);
  pointers_ = layout.getPointerCount();
  mark_fields(schema);
}

void KnownContent::mark_fields(capnp::StructSchema schema) {
  const auto layout = schema.getProto().getStruct();
  if (layout.getDiscriminantCount() > 0) mark_bits(std::uint64_t{layout.getDiscriminantOffset()} * 16, 16);
  for (const capnp::StructSchema::Field field : schema.getFields()) {
    const auto proto = field.getProto();
    if (proto.isGroup()) {  // a group's fields live in its parent's sections
      mark_fields(field.getType().asStruct());
      continue;
    }
    const auto slot = proto.getSlot();
    const std::uint64_t bits = data_bits(slot.getType().which());
    if (bits != 0) mark_bits(std::uint64_t{slot.getOffset()} * bits, bits);
  }
}

void KnownContent::mark_bits(std::uint64_t first_bit, std::uint64_t bits) {
  TALLY_ASSERT((first_bit + bits + 63) / 64 <= data_mask_.size(), "a schema field lies inside its data section");
  for (std::uint64_t bit = first_bit; bit < first_bit + bits; ++bit) data_mask_[bit / 64] |= std::uint64_t{1} << (bit % 64);
}

bool KnownContent::only_known(capnp::AnyStruct::Reader value) const {
  // Word by word (decode runs once per record at every start); a struct's data section is whole words, except
  // in lists of sub-word structs, which the WAL never holds, hence the byte-wise tail.
  const kj::ArrayPtr<const kj::byte> data = value.getDataSection();
  std::size_t i = 0;
  for (; i + sizeof(std::uint64_t) <= data.size(); i += sizeof(std::uint64_t)) {
    std::uint64_t word = 0;
    std::memcpy(&word, data.begin() + i, sizeof word);  // Cap'n Proto data is little-endian, as x86 is
    const std::size_t w = i / sizeof(std::uint64_t);
    if ((word & ~(w < data_mask_.size() ? data_mask_[w] : 0)) != 0) return false;
  }
  for (; i < data.size(); ++i) {
    const std::size_t w = i / sizeof(std::uint64_t);
    const auto known = static_cast<std::uint8_t>((w < data_mask_.size() ? data_mask_[w] : 0) >> (8 * (i % 8)));
    if ((data[i] & ~known) != 0) return false;
  }
  const capnp::List<capnp::AnyPointer>::Reader pointers = value.getPointerSection();
  for (std::uint32_t i = pointers_; i < pointers.size(); ++i)
    if (!pointers[i].isNull()) return false;
  return true;
}

}  // namespace tally::wal
