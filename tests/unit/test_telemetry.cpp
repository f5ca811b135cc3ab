// telemetry/: what is recorded shows up in the rendered Prometheus text (counters summed over threads' shards,
// cumulative histogram buckets, gauges and scrape-time readers), names are checked, and a disabled registry
// records nothing. The catalogue's HTTP and transaction families map statuses and outcomes to their labels.
#include <chrono>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "telemetry/catalogue.hpp"
#include "telemetry/metrics.hpp"

namespace tally::telemetry {
namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}

TEST(Telemetry, MonotonicNanosecondsKeepPaceWithSteadyClock) {
  // The readings of monotonic_ns() nest inside steady_clock's, around a sleep of at least 50 ms: whether it reads
  // the TSC or steady_clock, its interval can be neither shorter than the sleep nor longer than the outer one.
  using std::chrono::steady_clock;
  const steady_clock::time_point outer_start = steady_clock::now();
  const std::int64_t start = monotonic_ns();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const std::int64_t stop = monotonic_ns();
  const auto outer_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(steady_clock::now() - outer_start).count();
  EXPECT_GE(stop - start, std::int64_t{49'950'000});
  EXPECT_LE(stop - start, outer_ns + outer_ns / 1000 + 1'000);
}

TEST(Telemetry, CountersFromManyThreadsAddUp) {
  Metrics metrics;
  const Counter ok = metrics.counter("tally_test_total", "A test counter", {{"kind", "ok"}});
  const Counter bad = metrics.counter("tally_test_total", "A test counter", {{"kind", "bad"}});
  std::vector<std::thread> threads;
  for (int t = 0; t < 24; ++t) {  // more threads than shards: some share one
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) ok.add();
      bad.add(3);
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(ok.value(), 24'000u);
  const std::string text = metrics.render();
  EXPECT_TRUE(has_line(text, "# TYPE tally_test_total counter")) << text;
  EXPECT_TRUE(has_line(text, "# HELP tally_test_total A test counter")) << text;
  EXPECT_TRUE(has_line(text, "tally_test_total{kind=\"ok\"} 24000")) << text;
  EXPECT_TRUE(has_line(text, "tally_test_total{kind=\"bad\"} 72")) << text;
}

TEST(Telemetry, HistogramBucketsAreCumulativeInTheExportedUnit) {
  Metrics metrics;
  const Buckets ns_buckets{{1'000'000, 10'000'000}, 1e-9};  // 1 ms, 10 ms
  const Histogram h = metrics.histogram("tally_test_seconds", "Test durations", ns_buckets);
  h.observe(500'000);     // 0.5 ms
  h.observe(1'000'000);   // exactly on a bound: le is inclusive
  h.observe(5'000'000);   // 5 ms
  h.observe(50'000'000);  // 50 ms: +Inf only
  const std::string text = metrics.render();
  EXPECT_TRUE(has_line(text, "# TYPE tally_test_seconds histogram")) << text;
  EXPECT_TRUE(has_line(text, "tally_test_seconds_bucket{le=\"0.001\"} 2")) << text;
  EXPECT_TRUE(has_line(text, "tally_test_seconds_bucket{le=\"0.01\"} 3")) << text;
  EXPECT_TRUE(has_line(text, "tally_test_seconds_bucket{le=\"+Inf\"} 4")) << text;
  EXPECT_TRUE(has_line(text, "tally_test_seconds_count 4")) << text;
  EXPECT_TRUE(has_line(text, "tally_test_seconds_sum 0.0565")) << text;
}

TEST(Telemetry, HistogramSharesAreMergedAcrossThreads) {
  Metrics metrics;
  const Histogram h = metrics.histogram("tally_test_records", "Test sizes", batch_size_buckets());
  std::vector<std::thread> threads;
  for (int t = 0; t < 20; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) h.observe(3);  // bucket le=4
    });
  }
  for (std::thread& thread : threads) thread.join();
  const std::string text = metrics.render();
  EXPECT_TRUE(has_line(text, "tally_test_records_bucket{le=\"2\"} 0")) << text;
  EXPECT_TRUE(has_line(text, "tally_test_records_bucket{le=\"4\"} 2000")) << text;
  EXPECT_TRUE(has_line(text, "tally_test_records_sum 6000")) << text;
}

TEST(Telemetry, GaugesAndScrapeTimeReaders) {
  Metrics metrics;
  const Gauge g = metrics.gauge("tally_test_seconds", "A set value");
  g.set(2.5);
  double read = 7;
  metrics.gauge_read("tally_test_reading", "Read at scrape", [&read] { return read; });
  metrics.gauge_read("tally_test_absent", "NaN leaves it out", [] { return std::nan(""); });
  std::string text = metrics.render();
  EXPECT_TRUE(has_line(text, "tally_test_seconds 2.5")) << text;
  EXPECT_TRUE(has_line(text, "tally_test_reading 7")) << text;
  EXPECT_EQ(text.find("tally_test_absent"), std::string::npos) << text;
  read = 8;
  text = metrics.render();
  EXPECT_TRUE(has_line(text, "tally_test_reading 8")) << text;
}

TEST(Telemetry, RegistrationChecksNamesTypesAndReturnsTheSameSeries) {
  Metrics metrics;
  const Counter a = metrics.counter("tally_same_total", "Same", {{"x", "1"}});
  const Counter b = metrics.counter("tally_same_total", "Same", {{"x", "1"}});
  a.add(2);
  EXPECT_EQ(b.value(), 2u);  // one series
  EXPECT_THROW(metrics.counter("tally_no_suffix", "A counter must end in _total"), std::invalid_argument);
  EXPECT_THROW(metrics.gauge("tally_gauge_total", "Only counters end in _total"), std::invalid_argument);
  EXPECT_THROW(metrics.gauge("tally_same_total", "Same"), std::invalid_argument);
  EXPECT_THROW(metrics.counter("other_total", "Not tally_"), std::invalid_argument);
  EXPECT_THROW(metrics.counter("tally_bad-name_total", "Bad character"), std::invalid_argument);
  EXPECT_THROW(metrics.counter("tally_same_total", "Other help", {{"x", "2"}}), std::invalid_argument);
  EXPECT_THROW(metrics.counter("tally_same_total", "Same", {{"x", "2"}, {"y", "3"}}), std::invalid_argument);
  EXPECT_THROW(metrics.histogram("tally_h_seconds", "le is reserved", Buckets{{1, 2}, 1.0}, {{"le", "1"}}),
               std::invalid_argument);
  EXPECT_THROW(metrics.histogram("tally_h2_seconds", "Descending", Buckets{{2, 1}, 1.0}), std::invalid_argument);
}

TEST(Telemetry, DisabledRegistryRecordsNothing) {
  Metrics metrics(false);
  const Counter c = metrics.counter("tally_off_total", "Off");
  const Histogram h = metrics.histogram("tally_off_seconds", "Off", request_latency_buckets());
  EXPECT_FALSE(c);
  EXPECT_FALSE(h);
  c.add();
  h.observe(1);
  EXPECT_EQ(h.start(), 0);  // no clock read
  EXPECT_EQ(metrics.render(), "");
}

TEST(Telemetry, HttpMetricsByRouteAndStatusClass) {
  Metrics metrics;
  const HttpMetrics http(metrics, {"/a", "/b/{id}"});
  const std::int64_t started = http.start();
  EXPECT_NE(started, 0);
  http.record(0, 200, started);
  http.record(0, 201, started);
  http.record(1, 404, started);
  http.record(99, 503, started);  // out of range: "none"
  http.record(http.none_label(), 400, 0);  // refused before routing: counted, not timed
  const std::string text = metrics.render();
  EXPECT_TRUE(has_line(text, "tally_http_requests_total{route=\"/a\",code_class=\"2xx\"} 2")) << text;
  EXPECT_TRUE(has_line(text, "tally_http_requests_total{route=\"/b/{id}\",code_class=\"4xx\"} 1")) << text;
  EXPECT_TRUE(has_line(text, "tally_http_requests_total{route=\"none\",code_class=\"5xx\"} 1")) << text;
  EXPECT_TRUE(has_line(text, "tally_http_requests_total{route=\"none\",code_class=\"4xx\"} 1")) << text;
  EXPECT_TRUE(has_line(text, "tally_http_request_duration_seconds_count{route=\"/a\"} 2")) << text;
  EXPECT_TRUE(has_line(text, "tally_http_request_duration_seconds_count{route=\"none\"} 1")) << text;
}

TEST(Telemetry, TransactionsByTypeAndResult) {
  Metrics metrics;
  const TransactionMetrics tx(metrics);
  tx.count(TxKind::deposit, Outcome::applied);
  tx.count(TxKind::withdraw, Outcome::insufficient_funds);
  tx.count(TxKind::withdraw, Outcome::insufficient_funds);
  tx.count(TxKind::deposit, Outcome::record_refused);
  tx.count_invalid(3);
  const std::string text = metrics.render();
  EXPECT_TRUE(has_line(text, "tally_transactions_total{type=\"deposit\",result=\"applied\"} 1")) << text;
  EXPECT_TRUE(has_line(text, "tally_transactions_total{type=\"withdraw\",result=\"insufficient_funds\"} 2")) << text;
  EXPECT_TRUE(has_line(text, "tally_transactions_total{type=\"deposit\",result=\"internal\"} 1")) << text;
  EXPECT_TRUE(has_line(text, "tally_transactions_total{type=\"unknown\",result=\"invalid\"} 3")) << text;
  EXPECT_TRUE(has_line(text, "tally_transactions_total{type=\"withdraw\",result=\"applied\"} 0")) << text;
}

TEST(Telemetry, CatalogueGroupsRegisterTheirFamilies) {
  Metrics metrics;
  const WalMetrics wal{metrics};
  const SnapshotMetrics snapshots{metrics};
  const ProcessMetrics process{metrics};
  wal.bytes_written.add(4096);
  wal.group_commit_records.observe(17);
  process.build_info.set(1);
  snapshots.failures.add();
  const std::string text = metrics.render();
  EXPECT_TRUE(has_line(text, "tally_wal_bytes_written_total 4096")) << text;
  EXPECT_TRUE(has_line(text, "tally_wal_group_commit_records_bucket{le=\"16\"} 0")) << text;
  EXPECT_TRUE(has_line(text, "tally_wal_group_commit_records_bucket{le=\"32\"} 1")) << text;
  EXPECT_TRUE(has_line(text, "tally_build_info{version=\"" + ProcessMetrics::build_version() + "\"} 1")) << text;
  EXPECT_TRUE(has_line(text, "# TYPE tally_snapshot_duration_seconds histogram")) << text;
  EXPECT_TRUE(has_line(text, "tally_snapshot_failures_total 1")) << text;
}

}  // namespace
}  // namespace tally::telemetry
