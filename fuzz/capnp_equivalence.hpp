// "Never accept something that re-encodes differently", made checkable: two WAL payloads carry the same
// information when their Cap'n Proto canonical forms are equal once an absent Text reads as the empty text it
// decodes to. Canonicalisation erases layout (segments, pointer placement, padding) and keeps every data bit
// and pointer, known or not; so a decoder that accepted a payload whose form differs from its re-encoding's
// silently dropped content (an unknown field, stray bits).
#pragma once

#include <capnp/dynamic.h>
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/array.h>

#include <cstring>
#include <optional>
#include <string_view>

#include "wal/wal_record.capnp.h"

namespace tally::fuzz {

// Null Text pointers become "", recursively through the struct fields that are set (the union's active one).
inline void fill_absent_texts(capnp::DynamicStruct::Builder value) {
  const auto visit = [&value](capnp::StructSchema::Field field) {
    switch (field.getType().which()) {
      case capnp::schema::Type::TEXT:
        if (!value.has(field)) value.set(field, capnp::Text::Reader(""));
        break;
      case capnp::schema::Type::STRUCT:
        if (value.has(field)) fill_absent_texts(value.get(field).as<capnp::DynamicStruct>());
        break;
      default: break;
    }
  };
  for (const capnp::StructSchema::Field field : value.getSchema().getNonUnionFields()) visit(field);
  KJ_IF_MAYBE(active, value.which()) { visit(*active); }
}

// nullopt when the payload is not one readable WalRecord message (this walks every pointer, also those
// decode never looks at).
inline std::optional<kj::Array<capnp::word>> canonical_form(std::string_view payload) {
  if (payload.empty() || payload.size() % sizeof(capnp::word) != 0) return std::nullopt;
  kj::Array<capnp::word> words = kj::heapArray<capnp::word>(payload.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), payload.data(), payload.size());
  try {
    capnp::FlatArrayMessageReader reader(words);
    capnp::MallocMessageBuilder copy;
    copy.setRoot(reader.getRoot<wal::schema::WalRecord>());  // a deep copy keeps unknown bits and pointers
    fill_absent_texts(copy.getRoot<capnp::DynamicStruct>(capnp::Schema::from<wal::schema::WalRecord>()));
    return capnp::canonicalize(copy.getRoot<wal::schema::WalRecord>().asReader());
  } catch (...) {
    return std::nullopt;
  }
}

inline bool same_information(std::string_view a, std::string_view b) {
  const std::optional<kj::Array<capnp::word>> ca = canonical_form(a), cb = canonical_form(b);
  return ca && cb && ca->size() == cb->size() &&
         std::memcmp(ca->begin(), cb->begin(), ca->size() * sizeof(capnp::word)) == 0;
}

}  // namespace tally::fuzz
