// Microbenchmarks of one recording call: telemetry's sharded Counter::add and Histogram::observe against
// prometheus-cpp's own Counter::Increment (a CAS loop on one shared double) and Histogram::Observe (a mutex per
// observation), on 1 and 2 threads (google-benchmark). Why telemetry/ shards: see the figures in bench/README.md.
// The only file outside telemetry/ that includes prometheus-cpp, to compare with it.
#include <chrono>

#include <benchmark/benchmark.h>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>

#include "telemetry/catalogue.hpp"
#include "telemetry/metrics.hpp"

namespace {

tally::telemetry::Metrics& registry() {
  static tally::telemetry::Metrics metrics;
  return metrics;
}

void sharded_counter(benchmark::State& state) {
  static const tally::telemetry::Counter counter = registry().counter("tally_bench_total", "bench");
  for (auto _ : state) counter.add();
}
BENCHMARK(sharded_counter)->Threads(1)->Threads(2);

void sharded_histogram(benchmark::State& state) {
  static const tally::telemetry::Histogram histogram =
      registry().histogram("tally_bench_seconds", "bench", tally::telemetry::request_latency_buckets());
  std::uint64_t value = 0;
  for (auto _ : state) histogram.observe((value += 7919) % 20'000'000);
}
BENCHMARK(sharded_histogram)->Threads(1)->Threads(2);

void prometheus_counter(benchmark::State& state) {
  static prometheus::Counter counter;
  for (auto _ : state) counter.Increment();
}
BENCHMARK(prometheus_counter)->Threads(1)->Threads(2);

void prometheus_histogram(benchmark::State& state) {
  static prometheus::Histogram histogram(prometheus::Histogram::BucketBoundaries{
      25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
  std::uint64_t value = 0;
  for (auto _ : state) histogram.Observe(static_cast<double>((value += 7919) % 20'000'000) * 1e-9);
}
BENCHMARK(prometheus_histogram)->Threads(1)->Threads(2);

void telemetry_clock(benchmark::State& state) {
  std::int64_t sum = 0;
  for (auto _ : state) benchmark::DoNotOptimize(sum += tally::telemetry::monotonic_ns());
}
BENCHMARK(telemetry_clock);

void steady_clock_now(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(std::chrono::steady_clock::now());
}
BENCHMARK(steady_clock_now);

}  // namespace

BENCHMARK_MAIN();
