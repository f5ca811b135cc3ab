// Tally's metrics registry: one Metrics object per process (created by tallyd's main and passed down; tests make
// their own), typed series handles whose recording calls are one or two relaxed atomic adds on the calling
// thread's own shard (no lock, no shared cache line between threads), and the Prometheus text rendering.
// prometheus-cpp stays behind this header: metrics.cpp uses its data model, name checks and TextSerializer.
// A Metrics made with enabled = false hands out null handles: every recording call is then one branch.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tally::telemetry {

using Labels = std::vector<std::pair<std::string, std::string>>;

// Threads record into shard (thread's index % shards); more threads than shards share a shard, still correctly.
inline constexpr std::size_t shards = 16;
inline constexpr std::size_t cache_line_bytes = 64;

inline std::atomic<std::size_t> next_thread_shard{0};
// The calling thread's shard, fixed at its first recording.
inline std::size_t this_thread_shard() noexcept {
  thread_local const std::size_t shard = next_thread_shard.fetch_add(1, std::memory_order_relaxed) % shards;
  return shard;
}
// Monotonic nanoseconds, for durations. When the kernel's clocksource is the TSC (it trusts it to be invariant and
// synchronised), read from the TSC directly, scaled by a factor calibrated once against steady_clock: a request
// takes two readings, and rdtsc costs a fraction of clock_gettime (bench/README.md). Else steady_clock.
std::int64_t monotonic_ns() noexcept;

struct CounterCells {
  struct alignas(cache_line_bytes) Shard {
    std::atomic<std::uint64_t> value{0};
  };
  Shard shard[shards];
  std::uint64_t total() const noexcept;
};

// Buckets in the unit values are recorded in (integers: nanoseconds, records, bytes); `scale` turns that unit into
// the exported base unit (1e-9 for nanoseconds -> seconds).
struct Buckets {
  std::vector<std::uint64_t> upper_bounds;  // ascending; +Inf is implicit
  double scale = 1.0;
};

struct HistogramCells {
  static constexpr std::size_t cells_per_line = cache_line_bytes / sizeof(std::uint64_t);
  struct alignas(cache_line_bytes) Line {
    std::atomic<std::uint64_t> cell[cells_per_line];
  };
  explicit HistogramCells(Buckets buckets);
  // Per shard: a count per bucket (+Inf last), then the sum; each shard starts on its own cache line.
  const Buckets buckets;
  const std::size_t lines_per_shard;
  std::unique_ptr<Line[]> lines;

  std::atomic<std::uint64_t>& cell(std::size_t shard, std::size_t index) const noexcept {
    return lines[shard * lines_per_shard + index / cells_per_line].cell[index % cells_per_line];
  }
  void observe(std::uint64_t value) const noexcept {
    const std::vector<std::uint64_t>& bounds = buckets.upper_bounds;
    std::size_t bucket = 0;
    while (bucket < bounds.size() && value > bounds[bucket]) ++bucket;
    const std::size_t shard = this_thread_shard();
    cell(shard, bucket).fetch_add(1, std::memory_order_relaxed);
    cell(shard, bounds.size() + 1).fetch_add(value, std::memory_order_relaxed);
  }
};

class Counter {
 public:
  Counter() = default;  // null: records nothing
  explicit Counter(CounterCells* cells) : cells_(cells) {}
  void add(std::uint64_t n = 1) const noexcept {
    if (cells_) cells_->shard[this_thread_shard()].value.fetch_add(n, std::memory_order_relaxed);
  }
  std::uint64_t value() const noexcept { return cells_ ? cells_->total() : 0; }  // for tests and checks
  explicit operator bool() const noexcept { return cells_ != nullptr; }

 private:
  CounterCells* cells_ = nullptr;
};

class Histogram {
 public:
  Histogram() = default;  // null: records nothing, start() reads no clock
  explicit Histogram(const HistogramCells* cells) : cells_(cells) {}
  void observe(std::uint64_t value) const noexcept {
    if (cells_) cells_->observe(value);
  }
  // Durations (nanosecond buckets): start() is 0 for a null handle, so a disabled registry reads no clock.
  std::int64_t start() const noexcept { return cells_ ? monotonic_ns() : 0; }
  void observe_since(std::int64_t start_ns) const noexcept {
    if (cells_) cells_->observe(static_cast<std::uint64_t>(std::max<std::int64_t>(0, monotonic_ns() - start_ns)));
  }
  explicit operator bool() const noexcept { return cells_ != nullptr; }

 private:
  const HistogramCells* cells_ = nullptr;
};

// A value set now and then (not on a hot path): recovery duration, the last snapshot's time.
class Gauge {
 public:
  Gauge() = default;
  explicit Gauge(std::atomic<double>* value) : value_(value) {}
  void set(double v) const noexcept {
    if (value_) value_->store(v, std::memory_order_relaxed);
  }
  double value() const noexcept { return value_ ? value_->load(std::memory_order_relaxed) : 0.0; }

 private:
  std::atomic<double>* value_ = nullptr;
};

// Read at every scrape, on the scraping thread: must be cheap and must not block. NaN leaves the series out.
using GaugeRead = std::function<double()>;

class Metrics {
 public:
  explicit Metrics(bool enabled = true);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  bool enabled() const { return enabled_; }

  // Registration, usually at startup (it takes a lock). A name is one family: one type, one help text; each
  // distinct label set is one series, and registering the same labels again returns the same series. A bad name,
  // or a name already used with another type, throws std::invalid_argument (a bug, found by the first test run).
  Counter counter(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram histogram(std::string_view name, std::string_view help, const Buckets& buckets,
                      const Labels& labels = {});
  Gauge gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  void gauge_read(std::string_view name, std::string_view help, GaugeRead read, const Labels& labels = {});

  // Every family in the Prometheus text format 0.0.4, sorted by name. Any thread; reads the shards without
  // stopping writers (a scrape sees each cell at some moment during the render). "" when disabled.
  std::string render() const;

  struct Registry;  // metrics.cpp

 private:
  const bool enabled_;
  std::unique_ptr<Registry> registry_;
};

}  // namespace tally::telemetry
