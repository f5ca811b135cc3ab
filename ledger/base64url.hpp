// base64url without padding (RFC 4648 section 5): how the history listing's cursors and tally-admin's API key
// secrets spell bytes as URL- and header-safe text. One encoder for both; decoding stays with the cursor, which
// accepts only its own canonical spelling.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace tally {

inline constexpr char base64url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

inline std::string base64url_encode(const std::uint8_t* bytes, std::size_t size) {
  std::string out;
  out.reserve((size * 8 + 5) / 6);
  std::uint32_t bits = 0;
  int held = 0;  // bits in `bits` not yet written (fewer than 6 after each byte's loop)
  for (std::size_t i = 0; i < size; ++i) {
    bits = (bits << 8) | bytes[i];
    held += 8;
    while (held >= 6) {
      held -= 6;
      out.push_back(base64url_alphabet[(bits >> held) & 63]);
    }
  }
  if (held > 0) out.push_back(base64url_alphabet[(bits << (6 - held)) & 63]);
  return out;
}

}  // namespace tally
