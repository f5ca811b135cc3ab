// ASCII case-insensitive comparison, for protocol tokens (HTTP header names and codings, the Bearer scheme): the
// one copy the HTTP edge (rest/) and the API key check (auth/) share. Bytes outside A-Z compare as they are.
#pragma once

#include <cstddef>
#include <string_view>

namespace tally {

inline char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

inline bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

}  // namespace tally
