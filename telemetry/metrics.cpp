// The registry behind Metrics: families by name, their series, and rendering through prometheus-cpp's data model
// (MetricFamily, ClientMetric) and TextSerializer; the duration clock. Recording never comes here: the handles
// write their cells.
#include "telemetry/metrics.hpp"

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include <prometheus/check_names.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

namespace tally::telemetry {

namespace {

std::int64_t steady_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

#if defined(__x86_64__)
struct TscScale {
  bool usable = false;
  std::uint64_t base_ticks = 0;
  std::int64_t base_ns = 0;
  double ns_per_tick = 0;
};

constexpr std::int64_t tsc_calibration_ns = 2'000'000;

TscScale calibrate_tsc() {
  TscScale scale;
  std::ifstream source("/sys/devices/system/clocksource/clocksource0/current_clocksource");
  std::string name;
  if (!(source >> name) || name != "tsc") return scale;
  const std::int64_t start_ns = steady_ns();
  const std::uint64_t start_ticks = __rdtsc();
  std::int64_t now_ns = start_ns;
  while (now_ns - start_ns < tsc_calibration_ns) now_ns = steady_ns();
  const std::uint64_t ticks = __rdtsc() - start_ticks;
  if (ticks == 0) return scale;
  scale.usable = true;
  scale.base_ticks = start_ticks;
  scale.base_ns = start_ns;
  scale.ns_per_tick = static_cast<double>(now_ns - start_ns) / static_cast<double>(ticks);
  return scale;
}

const TscScale& tsc_scale() {
  static const TscScale scale = calibrate_tsc();
  return scale;
}
#endif

}  // namespace

std::int64_t monotonic_ns() noexcept {
#if defined(__x86_64__)
  const TscScale& tsc = tsc_scale();
  if (tsc.usable)
    return tsc.base_ns + static_cast<std::int64_t>(static_cast<double>(__rdtsc() - tsc.base_ticks) * tsc.ns_per_tick);
#endif
  return steady_ns();
}

std::uint64_t CounterCells::total() const noexcept {
  std::uint64_t sum = 0;
  for (const Shard& s : shard) sum += s.value.load(std::memory_order_relaxed);
  return sum;
}

HistogramCells::HistogramCells(Buckets b)
    : buckets(std::move(b)),
      lines_per_shard((buckets.upper_bounds.size() + 2 + cells_per_line - 1) / cells_per_line),
      lines(std::make_unique<Line[]>(lines_per_shard * shards)) {}

namespace {

enum class Kind { counter, histogram, gauge, gauge_read };

struct Series {
  Labels labels;
  std::unique_ptr<CounterCells> counter;
  std::unique_ptr<HistogramCells> histogram;
  std::unique_ptr<std::atomic<double>> gauge;
  GaugeRead read;
};

struct Family {
  std::string help;
  Kind kind = Kind::counter;
  std::vector<std::unique_ptr<Series>> series;
};

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

prometheus::MetricType type_of(Kind kind) {
  switch (kind) {
    case Kind::counter: return prometheus::MetricType::Counter;
    case Kind::histogram: return prometheus::MetricType::Histogram;
    case Kind::gauge:
    case Kind::gauge_read: break;
  }
  return prometheus::MetricType::Gauge;
}

void check_names(std::string_view name, Kind kind, const Labels& labels) {
  if (!prometheus::CheckMetricName(std::string(name)) || name.substr(0, 6) != "tally_")
    throw std::invalid_argument("metric name " + std::string(name) + " is not tally_[a-z0-9_]*");
  // Prometheus naming: counters end in _total, and nothing else does.
  if ((kind == Kind::counter) != ends_with(name, "_total"))
    throw std::invalid_argument("metric " + std::string(name) +
                                ": a counter's name, and only a counter's, ends in _total");
  for (const auto& [label, value] : labels) {
    if (!prometheus::CheckLabelName(label) || (kind == Kind::histogram && label == "le"))
      throw std::invalid_argument("metric " + std::string(name) + ": bad label name " + label);
  }
}

void fill(prometheus::ClientMetric& out, Kind kind, const Series& series) {
  switch (kind) {
    case Kind::counter:
      out.counter.value = static_cast<double>(series.counter->total());
      return;
    case Kind::gauge:
      out.gauge.value = series.gauge->load(std::memory_order_relaxed);
      return;
    case Kind::gauge_read:
      out.gauge.value = series.read ? series.read() : std::numeric_limits<double>::quiet_NaN();
      return;
    case Kind::histogram: break;
  }
  const HistogramCells& h = *series.histogram;
  const std::vector<std::uint64_t>& bounds = h.buckets.upper_bounds;
  std::uint64_t cumulative = 0, sum = 0;
  for (std::size_t bucket = 0; bucket <= bounds.size(); ++bucket) {
    for (std::size_t shard = 0; shard < shards; ++shard)
      cumulative += h.cell(shard, bucket).load(std::memory_order_relaxed);
    prometheus::ClientMetric::Bucket b;
    b.cumulative_count = cumulative;
    b.upper_bound = bucket < bounds.size() ? static_cast<double>(bounds[bucket]) * h.buckets.scale
                                           : std::numeric_limits<double>::infinity();
    out.histogram.bucket.push_back(b);
  }
  for (std::size_t shard = 0; shard < shards; ++shard)
    sum += h.cell(shard, bounds.size() + 1).load(std::memory_order_relaxed);
  out.histogram.sample_count = cumulative;
  out.histogram.sample_sum = static_cast<double>(sum) * h.buckets.scale;
}

}  // namespace

struct Metrics::Registry {
  mutable std::mutex mutex;
  std::map<std::string, Family, std::less<>> families;

  // The series for (name, labels), made by `make` if new. Checks the family's type and help.
  Series& series(std::string_view name, std::string_view help, Kind kind, const Labels& labels,
                 const std::function<void(Series&)>& make) {
    check_names(name, kind, labels);
    std::lock_guard<std::mutex> lock(mutex);
    auto found = families.find(name);
    if (found == families.end()) found = families.emplace(std::string(name), Family{std::string(help), kind, {}}).first;
    Family& family = found->second;
    if (family.kind != kind || family.help != help)
      throw std::invalid_argument("metric " + std::string(name) + " registered twice with another type or help");
    for (const std::unique_ptr<Series>& s : family.series) {
      if (s->labels == labels) return *s;
    }
    if (!family.series.empty() && family.series.front()->labels.size() != labels.size())
      throw std::invalid_argument("metric " + std::string(name) + ": every series has the same label names");
    family.series.push_back(std::make_unique<Series>());
    Series& made = *family.series.back();
    made.labels = labels;
    make(made);
    return made;
  }
};

Metrics::Metrics(bool enabled) : enabled_(enabled), registry_(std::make_unique<Registry>()) {
  if (enabled_) static_cast<void>(monotonic_ns());  // calibrates now, not on the first request's thread
}
Metrics::~Metrics() = default;

Counter Metrics::counter(std::string_view name, std::string_view help, const Labels& labels) {
  if (!enabled_) return {};
  Series& s = registry_->series(name, help, Kind::counter, labels,
                                [](Series& made) { made.counter = std::make_unique<CounterCells>(); });
  return Counter(s.counter.get());
}

Histogram Metrics::histogram(std::string_view name, std::string_view help, const Buckets& buckets,
                             const Labels& labels) {
  for (std::size_t i = 1; i < buckets.upper_bounds.size(); ++i) {
    if (buckets.upper_bounds[i - 1] >= buckets.upper_bounds[i])
      throw std::invalid_argument("metric " + std::string(name) + ": bucket bounds must ascend");
  }
  if (!enabled_) return {};
  Series& s = registry_->series(name, help, Kind::histogram, labels,
                                [&](Series& made) { made.histogram = std::make_unique<HistogramCells>(buckets); });
  if (s.histogram->buckets.upper_bounds != buckets.upper_bounds || s.histogram->buckets.scale != buckets.scale)
    throw std::invalid_argument("metric " + std::string(name) + " registered twice with other buckets");
  return Histogram(s.histogram.get());
}

Gauge Metrics::gauge(std::string_view name, std::string_view help, const Labels& labels) {
  if (!enabled_) return {};
  Series& s = registry_->series(name, help, Kind::gauge, labels,
                                [](Series& made) { made.gauge = std::make_unique<std::atomic<double>>(0.0); });
  return Gauge(s.gauge.get());
}

void Metrics::gauge_read(std::string_view name, std::string_view help, GaugeRead read, const Labels& labels) {
  if (!enabled_) return;
  Series& s = registry_->series(name, help, Kind::gauge_read, labels, [](Series&) {});
  std::lock_guard<std::mutex> lock(registry_->mutex);  // render() may be calling the old reader
  s.read = std::move(read);  // a second registration replaces the reader (e.g. a restarted component)
}

std::string Metrics::render() const {
  if (!enabled_) return {};
  std::vector<prometheus::MetricFamily> out;
  {
    std::lock_guard<std::mutex> lock(registry_->mutex);
    out.reserve(registry_->families.size());
    for (const auto& [name, family] : registry_->families) {
      prometheus::MetricFamily rendered;
      rendered.name = name;
      rendered.help = family.help;
      rendered.type = type_of(family.kind);
      for (const std::unique_ptr<Series>& series : family.series) {
        prometheus::ClientMetric metric;
        for (const auto& [label, value] : series->labels) metric.label.push_back({label, value});
        fill(metric, family.kind, *series);
        if (family.kind == Kind::gauge_read && std::isnan(metric.gauge.value)) continue;
        rendered.metric.push_back(std::move(metric));
      }
      if (!rendered.metric.empty()) out.push_back(std::move(rendered));
    }
  }
  std::ostringstream text;
  prometheus::TextSerializer().Serialize(text, out);
  return text.str();
}

}  // namespace tally::telemetry
