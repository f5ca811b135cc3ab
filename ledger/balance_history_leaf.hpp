// Internal to ledger/balance_history*.cpp: how a leaf of BalanceHistory's tree stores its moments. A leaf is
// read front to back (it is at most BalanceHistoryOps::kLeafBytesMax long), so each moment is stored as its
// distance from the one before, in LEB128 varints:
//   varint  gap: the moment's timestamp minus the previous moment's (0 for the leaf's first moment, whose
//           timestamp is the leaf's `first` field)
//   varint  zigzag(sum) << 1 | many: the sum of the moment's changes; `many` when it has more than one change
//   varint  count - 2, only when `many`
// A moment of a user's history takes 6-10 bytes (a gap of days: 6 bytes, of seconds: 4; an amount below
// 2^19: 3 bytes), not the 16 of a fixed (timestamp, sum) pair.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ledger/money.hpp"
#include "ledger/utc_time.hpp"
#include "ledger/varint.hpp"

namespace tally::history_leaf {

inline constexpr std::size_t varint_bytes_max = 10;
// The most a moment's encoding takes: a gap below 2^59 (9 bytes), a sum (10), a count (10).
inline constexpr std::size_t moment_bytes_max = 9 + 2 * varint_bytes_max;
// A moment's sum must keep zigzag(sum) << 1 within 64 bits.
inline constexpr MinorUnits sum_limit = INT64_C(1) << 62;

struct Moment {
  UtcMicros at;
  MinorUnits sum;
  std::uint64_t count;
};

inline std::uint64_t sum_word(MinorUnits sum, std::uint64_t count) {
  const auto s = static_cast<std::uint64_t>(sum);
  return (((s << 1) ^ (0 - (s >> 63))) << 1) | (count > 1 ? 1 : 0);
}
inline MinorUnits sum_of_word(std::uint64_t word) {
  const std::uint64_t z = word >> 1;
  return static_cast<MinorUnits>((z >> 1) ^ (0 - (z & 1)));
}

// The bytes of a moment `gap` after the previous one.
inline std::size_t moment_bytes(std::uint64_t gap, MinorUnits sum, std::uint64_t count) {
  return varint_bytes(gap) + varint_bytes(sum_word(sum, count)) + (count > 1 ? varint_bytes(count - 2) : 0);
}
inline unsigned char* put_moment(unsigned char* p, std::uint64_t gap, MinorUnits sum, std::uint64_t count) {
  p = put_varint(p, gap);
  p = put_varint(p, sum_word(sum, count));
  return count > 1 ? put_varint(p, count - 2) : p;
}

// Walks a leaf's moments in order: next() decodes one (its end is where the following one starts).
class Reader {
 public:
  Reader(const unsigned char* begin, const unsigned char* end, UtcMicros first) : p_(begin), end_(end), at_(first) {}
  bool done() const { return p_ == end_; }
  const unsigned char* position() const { return p_; }
  // The next moment's timestamp and sum (and count, when asked for); the previous timestamp stays readable.
  void next(UtcMicros& at, MinorUnits& sum) {
    std::uint64_t v = 0;
    p_ = get_varint(p_, v);
    at_ = static_cast<UtcMicros>(static_cast<std::uint64_t>(at_) + v);
    p_ = get_varint(p_, v);
    sum = sum_of_word(v);
    if ((v & 1) != 0) p_ = skip_varint(p_);
    at = at_;
  }
  Moment next() {
    Moment m{};
    std::uint64_t v = 0;
    p_ = get_varint(p_, v);
    at_ = static_cast<UtcMicros>(static_cast<std::uint64_t>(at_) + v);
    m.at = at_;
    p_ = get_varint(p_, v);
    m.sum = sum_of_word(v);
    m.count = 1;
    if ((v & 1) != 0) {
      p_ = get_varint(p_, m.count);
      m.count += 2;
    }
    return m;
  }
  UtcMicros at() const { return at_; }  // the last decoded moment's timestamp (first, before any)

 private:
  const unsigned char* p_;
  const unsigned char* end_;
  UtcMicros at_;
};

}  // namespace tally::history_leaf
