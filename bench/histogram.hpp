// tally-loadgen: a log-bucket latency histogram in the HDR style (values in nanoseconds,
// 64 linear sub-buckets per power of two, so every recorded value is kept within 1/64 of its true size).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace loadgen {

class Histogram {
 public:
  static constexpr int kSubBits = 7;                      // values below 2^7 have their own bucket
  static constexpr uint64_t kSubCount = 1ull << kSubBits;  // 128
  static constexpr uint64_t kHalf = kSubCount / 2;         // 64 sub-buckets per power of two above that
  static constexpr std::size_t kBuckets = (64 - kSubBits + 1) * kHalf + kHalf;

  Histogram() : counts_(kBuckets, 0) {}

  static std::size_t index_of(uint64_t v) {
    if (v < kSubCount) return static_cast<std::size_t>(v);
    int msb = 63 - __builtin_clzll(v);
    int shift = msb - (kSubBits - 1);  // >= 1
    uint64_t mantissa = v >> shift;    // in [64, 128)
    return static_cast<std::size_t>(shift) * kHalf + static_cast<std::size_t>(mantissa);
  }

  // Highest value that lands in bucket `i` (what a percentile reports, as HDR does).
  static uint64_t upper_of(std::size_t i) {
    if (i < kSubCount) return i;
    uint64_t shift = i / kHalf - 1;
    uint64_t mantissa = i - shift * kHalf;
    return ((mantissa + 1) << shift) - 1;
  }

  void record(uint64_t v) {
    ++counts_[index_of(v)];
    ++count_;
    sum_ += static_cast<double>(v);
    if (v > max_) max_ = v;
    if (v < min_) min_ = v;
  }

  void merge(const Histogram& o) {
    for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
    count_ += o.count_;
    sum_ += o.sum_;
    max_ = std::max(max_, o.max_);
    min_ = std::min(min_, o.min_);
  }

  uint64_t count() const { return count_; }
  uint64_t max() const { return count_ ? max_ : 0; }
  uint64_t min() const { return count_ ? min_ : 0; }
  double mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0.0; }

  // Value at quantile q in [0, 1]: the smallest bucket bound covering ceil(q * count) values.
  uint64_t at(double q) const {
    if (count_ == 0) return 0;
    uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
    if (rank < 1) rank = 1;
    uint64_t seen = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(upper_of(i), max_);
    }
    return max_;
  }

 private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  double sum_ = 0;
  uint64_t max_ = 0;
  uint64_t min_ = UINT64_MAX;
};

}  // namespace loadgen
