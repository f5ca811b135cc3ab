// "Never accept something that re-encodes differently", made checkable: two WAL payloads carry the same
// information when their Cap'n Proto canonical forms are equal. Canonicalisation erases layout (segments,
// pointer placement, padding), so what remains is content: a decoder that accepted a payload whose canonical
// form differs from its re-encoding's silently dropped data (an unknown field, stray bits).
#pragma once

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/array.h>

#include <cstring>
#include <optional>
#include <string_view>

#include "wal/wal_record.capnp.h"

namespace tally::fuzz {

// nullopt when the payload is not one readable WalRecord message (canonicalize walks every pointer, also
// those decode never looks at).
inline std::optional<kj::Array<capnp::word>> canonical_form(std::string_view payload) {
  if (payload.empty() || payload.size() % sizeof(capnp::word) != 0) return std::nullopt;
  kj::Array<capnp::word> words = kj::heapArray<capnp::word>(payload.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), payload.data(), payload.size());
  try {
    capnp::FlatArrayMessageReader reader(words);
    return capnp::canonicalize(reader.getRoot<wal::schema::WalRecord>());
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
