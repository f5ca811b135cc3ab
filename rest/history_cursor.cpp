// History cursors: packing, the check, and base64url (RFC 4648 section 5, no padding; only the canonical spelling
// of each byte string is accepted, so two different texts never name the same cursor).
#include "rest/history_cursor.hpp"

#include <array>
#include <cstdint>

#include "ledger/base64url.hpp"
#include "ledger/limits.hpp"

namespace tally::rest {

namespace {

constexpr std::uint8_t kVersion = 1;
constexpr std::size_t kBytes = 1 + 8 + 8 + 8;
constexpr std::size_t kChars = (kBytes * 8 + 5) / 6;
using Bytes = std::array<std::uint8_t, kBytes>;

// splitmix64's finaliser: every input bit reaches every output bit.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::uint64_t check_of(UserId user, const HistoryPosition& position) {
  std::uint64_t h = mix(0x7461'6c6c'7963'7572ull ^ kVersion);  // "tallycur"
  h = mix(h ^ user);
  h = mix(h ^ static_cast<std::uint64_t>(position.at));
  return mix(h ^ position.skip);
}

void put64(Bytes& b, std::size_t at, std::uint64_t v) {
  for (std::size_t k = 0; k < 8; ++k) b[at + k] = static_cast<std::uint8_t>(v >> (8 * k));
}
std::uint64_t get64(const Bytes& b, std::size_t at) {
  std::uint64_t v = 0;
  for (std::size_t k = 0; k < 8; ++k) v |= static_cast<std::uint64_t>(b[at + k]) << (8 * k);
  return v;
}

int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

}  // namespace

std::string encode_history_cursor(UserId user, const HistoryPosition& position) {
  Bytes b{};
  b[0] = kVersion;
  put64(b, 1, static_cast<std::uint64_t>(position.at));
  put64(b, 9, position.skip);
  put64(b, 17, check_of(user, position));
  return base64url_encode(b.data(), b.size());
}

std::optional<HistoryPosition> decode_history_cursor(UserId user, std::string_view text) {
  if (text.size() != kChars) return std::nullopt;
  Bytes b{};
  std::uint32_t bits = 0;
  int held = 0;
  std::size_t n = 0;
  for (char c : text) {
    const int v = sextet(c);
    if (v < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    held += 6;
    if (held >= 8) {
      held -= 8;
      if (n < kBytes) b[n++] = static_cast<std::uint8_t>(bits >> held);
    }
  }
  if (n != kBytes || (bits & ((1u << held) - 1)) != 0) return std::nullopt;  // non-canonical trailing bits
  if (b[0] != kVersion) return std::nullopt;
  const HistoryPosition position{static_cast<UtcMicros>(get64(b, 1)), get64(b, 9)};
  if (get64(b, 17) != check_of(user, position)) return std::nullopt;
  if (position.at < limits::utc_micros_min || position.at > limits::utc_micros_max) return std::nullopt;
  return position;
}

}  // namespace tally::rest
