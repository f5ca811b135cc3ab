// How TxIndex stores a uid: a canonical 8-4-4-4-12 hex uuid (36 characters) in the 16 bytes it spells, any other
// uid raw behind a length byte. A uid has exactly one form (lower-case hex uuid, else upper-case hex uuid, else
// raw), so two uids are equal exactly when their forms and stored bytes are. Internal to TxIndex.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "ledger/assert.hpp"
#include "ledger/limits.hpp"
#include "ledger/seeded_hash.hpp"

namespace tally::tx_index_detail {

inline constexpr std::size_t uuid_chars = 36, uuid_bytes = 16;

enum UidForm : std::uint8_t { form_raw = 0, form_uuid_lower = 1, form_uuid_upper = 2 };

// Value of each character as a hex digit of one case, -1 if it is not one.
struct HexDigits {
  std::int8_t lower[256], upper[256];
  constexpr HexDigits() : lower(), upper() {
    for (int c = 0; c < 256; ++c) {
      lower[c] = upper[c] = -1;
      if (c >= '0' && c <= '9') lower[c] = upper[c] = static_cast<std::int8_t>(c - '0');
      if (c >= 'a' && c <= 'f') lower[c] = static_cast<std::int8_t>(c - 'a' + 10);
      if (c >= 'A' && c <= 'F') upper[c] = static_cast<std::int8_t>(c - 'A' + 10);
    }
  }
};
inline constexpr HexDigits hex_digits;

// Where the 32 digits of a canonical uuid (8-4-4-4-12) are.
inline constexpr std::array<std::uint8_t, 32> uuid_digit_positions = {
    0,  1,  2,  3,  4,  5,  6,  7,  9,  10, 11, 12, 14, 15, 16, 17,
    19, 20, 21, 22, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35};

// A uid in the form it is stored in: compared as (form, bytes), written after the entry header.
struct PackedUid {
  UidForm form = form_raw;
  std::uint8_t size = 0;  // bytes used in `bytes` (raw: the length byte included)
  char bytes[1 + limits::uid_bytes_max];

  explicit PackedUid(std::string_view uid) {
    TALLY_ASSERT(uid.size() <= limits::uid_bytes_max, "a uid is at most limits::uid_bytes_max long");
    if (uid.size() == uuid_chars && pack_uuid(uid)) return;
    form = form_raw;
    bytes[0] = static_cast<char>(uid.size());
    std::memcpy(bytes + 1, uid.data(), uid.size());
    size = static_cast<std::uint8_t>(uid.size() + 1);
  }

 private:
#if defined(__SSE2__)
  // 16 characters a step where SSE2 is there (every x86-64): the restore's uid stage spent ~200 instructions a
  // uid on the look-ups below. Same result: a uuid of one case's hex digits (lower-case first), else raw.
  bool pack_uuid(std::string_view uid) {
    if (uid[8] != '-' || uid[13] != '-' || uid[18] != '-' || uid[23] != '-') return false;
    char digits[32];
    std::memcpy(digits, uid.data(), 8);
    std::memcpy(digits + 8, uid.data() + 9, 4);
    std::memcpy(digits + 12, uid.data() + 14, 4);
    std::memcpy(digits + 16, uid.data() + 19, 4);
    std::memcpy(digits + 20, uid.data() + 24, 12);
    const __m128i first = _mm_loadu_si128(reinterpret_cast<const __m128i*>(digits));
    const __m128i second = _mm_loadu_si128(reinterpret_cast<const __m128i*>(digits + 16));
    const int lower = hex_mask(first, 'a') & hex_mask(second, 'a');
    const int upper = hex_mask(first, 'A') & hex_mask(second, 'A');
    if (lower != 0xffff && upper != 0xffff) return false;
    _mm_storeu_si128(reinterpret_cast<__m128i*>(bytes), _mm_packus_epi16(pair_up(first), pair_up(second)));
    form = lower == 0xffff ? form_uuid_lower : form_uuid_upper;  // digits only: lower-case
    size = uuid_bytes;
    return true;
  }

  // Bit i set when character i is a digit or a letter from `a` to `a` + 5. The compares are signed: a byte with
  // its top bit set is negative, below every range here.
  static int hex_mask(__m128i c, char a) {
    const __m128i digit =
        _mm_and_si128(_mm_cmpgt_epi8(c, _mm_set1_epi8('0' - 1)), _mm_cmplt_epi8(c, _mm_set1_epi8('9' + 1)));
    const __m128i letter = _mm_and_si128(_mm_cmpgt_epi8(c, _mm_set1_epi8(static_cast<char>(a - 1))),
                                         _mm_cmplt_epi8(c, _mm_set1_epi8(static_cast<char>(a + 6))));
    return _mm_movemask_epi8(_mm_or_si128(digit, letter));
  }

  // Hex digits (valid ones) to 8 bytes, one per 16-bit lane: a digit's value is its low nibble, a letter's
  // (above '@', either case) its low nibble + 9; each lane's first character is the high nibble.
  static __m128i pair_up(__m128i c) {
    const __m128i letter = _mm_cmpgt_epi8(c, _mm_set1_epi8('@'));
    const __m128i value =
        _mm_add_epi8(_mm_and_si128(c, _mm_set1_epi8(0x0f)), _mm_and_si128(letter, _mm_set1_epi8(9)));
    return _mm_or_si128(_mm_slli_epi16(_mm_and_si128(value, _mm_set1_epi16(0x00ff)), 4), _mm_srli_epi16(value, 8));
  }
#else
  bool pack_uuid(std::string_view uid) { return pack_uuid(uid, false) || pack_uuid(uid, true); }

  bool pack_uuid(std::string_view uid, bool upper) {
    if (uid[8] != '-' || uid[13] != '-' || uid[18] != '-' || uid[23] != '-') return false;
    const std::int8_t* digit = upper ? hex_digits.upper : hex_digits.lower;
    int bad = 0;  // negative once any digit is not one
    for (std::size_t k = 0; k < uuid_bytes; ++k) {
      // The table holds -1 for a non-digit, so widening its int8_t with its sign is the point.
      // NOLINTNEXTLINE(bugprone-signed-char-misuse,cert-str34-c)
      const int high = digit[static_cast<unsigned char>(uid[uuid_digit_positions[2 * k]])];
      // NOLINTNEXTLINE(bugprone-signed-char-misuse,cert-str34-c)
      const int low = digit[static_cast<unsigned char>(uid[uuid_digit_positions[2 * k + 1]])];
      bad |= high | low;
      bytes[k] = static_cast<char>(((high & 15) << 4) | (low & 15));
    }
    if (bad < 0) return false;
    form = upper ? form_uuid_upper : form_uuid_lower;
    size = uuid_bytes;
    return true;
  }
#endif
};

// A uid's hash under `keys`: its high 32 bits place it in a shard's table (tag order), its low bits pick the
// shard. A 36-character uid (a uuid: nearly all) is hashed as its five words by three folded multiplies and the
// finishing mix, ~30 instructions (the restore's uid stage hashes every transaction); any other length by
// seeded_hash's 16-byte steps. Keyed, so a client cannot aim uids at one shard's probe run
// (ledger/seeded_hash.hpp); memory only.
inline std::uint64_t hash_uid(std::string_view uid, const HashKeys& keys) {
  if (uid.size() != uuid_chars) return seeded_hash(uid, keys);
  std::uint64_t w[4];
  std::uint32_t tail;
  std::memcpy(w, uid.data(), sizeof w);
  std::memcpy(&tail, uid.data() + sizeof w, sizeof tail);
  const std::uint64_t front = fold_multiply(w[0] ^ keys.word[0], w[1] ^ keys.word[1]);
  const std::uint64_t back = fold_multiply(w[2] ^ keys.word[2], w[3] ^ keys.word[3]);
  return finish_hash(fold_multiply(front ^ back ^ keys.word[4], tail ^ keys.word[5]));
}

// With this process's keys: what TxIndex uses (TxIndex::hash_of).
inline std::uint64_t hash_uid(std::string_view uid) { return hash_uid(uid, process_hash_keys()); }

// The uid spelled by `form` and the bytes at p (as PackedUid wrote them).
inline std::string unpack_uid(UidForm form, const char* p) {
  if (form == form_raw) return std::string(p + 1, static_cast<unsigned char>(p[0]));
  const char* digits = form == form_uuid_upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string uid(uuid_chars, '-');
  for (std::size_t k = 0; k < uuid_bytes; ++k) {
    const unsigned byte = static_cast<unsigned char>(p[k]);
    uid[uuid_digit_positions[2 * k]] = digits[byte >> 4];
    uid[uuid_digit_positions[2 * k + 1]] = digits[byte & 15];
  }
  return uid;
}

}  // namespace tally::tx_index_detail
