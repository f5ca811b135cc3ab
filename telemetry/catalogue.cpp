// Bucket bounds and the label sets of the catalogue's per-route and per-result families.
#include "telemetry/catalogue.hpp"

#include "ledger/assert.hpp"

#ifndef TALLY_VERSION
#define TALLY_VERSION "unknown"
#endif

namespace tally::telemetry {
namespace {

constexpr std::uint64_t us = 1'000;
constexpr std::uint64_t ms = 1'000'000;
constexpr std::uint64_t s = 1'000'000'000;
constexpr double seconds_per_ns = 1e-9;

}  // namespace

const Buckets& request_latency_buckets() {
  static const Buckets buckets{{25 * us, 50 * us, 100 * us, 250 * us, 500 * us, 1 * ms, 2 * ms + 500 * us, 5 * ms,
                                10 * ms, 25 * ms, 50 * ms, 100 * ms, 250 * ms, 500 * ms, 1 * s, 2 * s + 500 * ms,
                                5 * s, 10 * s},
                               seconds_per_ns};
  return buckets;
}

const Buckets& sync_latency_buckets() {
  static const Buckets buckets{{50 * us, 100 * us, 250 * us, 500 * us, 1 * ms, 2 * ms, 4 * ms, 8 * ms, 16 * ms,
                                32 * ms, 64 * ms, 128 * ms, 256 * ms, 512 * ms, 1 * s, 5 * s},
                               seconds_per_ns};
  return buckets;
}

const Buckets& slow_task_buckets() {
  static const Buckets buckets{{10 * ms, 100 * ms, 1 * s, 5 * s, 15 * s, 60 * s, 300 * s, 900 * s, 1800 * s},
                               seconds_per_ns};
  return buckets;
}

const Buckets& batch_size_buckets() {
  static const Buckets buckets{{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096}, 1.0};
  return buckets;
}

std::string ProcessMetrics::build_version() { return TALLY_VERSION; }

HttpMetrics::HttpMetrics(Metrics& registry, const std::vector<std::string>& route_labels) {
  static const char* const classes[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
  std::vector<std::string> labels = route_labels;
  labels.push_back("none");
  for (const std::string& route : labels) {
    std::array<Counter, 5> by_class;
    for (std::size_t c = 0; c < by_class.size(); ++c) {
      by_class[c] = registry.counter("tally_http_requests_total", "HTTP requests answered, by route and status class",
                                     {{"route", route}, {"code_class", classes[c]}});
    }
    requests_.push_back(by_class);
    duration_.push_back(registry.histogram("tally_http_request_duration_seconds",
                                           "Time from a whole request read to its answer rendered, by route",
                                           request_latency_buckets(), {{"route", route}}));
  }
}

void HttpMetrics::record(std::size_t route_label, int status, std::int64_t started_ns) const noexcept {
  if (route_label >= duration_.size()) route_label = none_label();
  const int status_class = status / 100;
  if (status_class >= 1 && status_class <= 5) requests_[route_label][static_cast<std::size_t>(status_class - 1)].add();
  if (started_ns != 0) duration_[route_label].observe_since(started_ns);
}

const char* result_label(Outcome outcome) {
  switch (outcome) {
    case Outcome::applied: return "applied";
    case Outcome::replayed: return "replayed";
    case Outcome::conflict: return "conflict";
    case Outcome::user_not_found: return "user_not_found";
    case Outcome::insufficient_funds: return "insufficient_funds";
    case Outcome::balance_too_large: return "balance_too_large";
    case Outcome::too_many_users: return "too_many_users";
    case Outcome::storage_full: return "storage_full";
    case Outcome::storage_failed: return "storage_failed";
    case Outcome::shutting_down: return "shutting_down";
    case Outcome::record_refused: return "internal";
  }
  return "unknown";
}

TransactionMetrics::TransactionMetrics(Metrics& registry) {
  static const char* const help = "Transactions requested (each batch item counts), by type and result";
  static constexpr Outcome outcomes[] = {
      Outcome::applied,       Outcome::replayed,       Outcome::conflict,       Outcome::user_not_found,
      Outcome::insufficient_funds, Outcome::balance_too_large, Outcome::too_many_users, Outcome::storage_full,
      Outcome::storage_failed, Outcome::shutting_down, Outcome::record_refused};
  static_assert(sizeof outcomes / sizeof outcomes[0] <= results_max, "results_max covers every outcome");
  for (TxKind kind : {TxKind::deposit, TxKind::withdraw}) {
    const std::string type = kind == TxKind::deposit ? "deposit" : "withdraw";
    for (Outcome outcome : outcomes) {
      by_result_[static_cast<std::size_t>(kind)][static_cast<std::size_t>(outcome)] =
          registry.counter("tally_transactions_total", help, {{"type", type}, {"result", result_label(outcome)}});
    }
  }
  invalid_ = registry.counter("tally_transactions_total", help, {{"type", "unknown"}, {"result", "invalid"}});
}

void TransactionMetrics::count(TxKind kind, Outcome outcome) const noexcept {
  const auto k = static_cast<std::size_t>(kind);
  const auto o = static_cast<std::size_t>(outcome);
  TALLY_ASSERT(k < by_result_.size() && o < results_max, "an outcome of the enumeration");
  by_result_[k][o].add();
}

}  // namespace tally::telemetry
