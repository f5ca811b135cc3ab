// RelayMetrics on prometheus-cpp: gauges per shard created on first use; thread-safe (prometheus-cpp's metrics
// are atomic; the per-shard maps are guarded).
#include "relay/relay_metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <map>
#include <mutex>

namespace tally::relay {

struct RelayMetrics::Impl {
  struct Shard {
    prometheus::Gauge* acked = nullptr;
    prometheus::Gauge* seen = nullptr;
    prometheus::Gauge* lag = nullptr;
    std::uint64_t acked_seq = 0, seen_seq = 0;
  };
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Gauge>& acked_family = prometheus::BuildGauge()
      .Name("tally_relay_last_acked_seq").Help("Newest seq of the shard the stream has acknowledged").Register(*registry);
  prometheus::Family<prometheus::Gauge>& seen_family = prometheus::BuildGauge()
      .Name("tally_relay_last_seen_seq").Help("Newest seq of the shard tallyd has handed the relay").Register(*registry);
  prometheus::Family<prometheus::Gauge>& lag_family = prometheus::BuildGauge()
      .Name("tally_relay_lag_events").Help("Events read from tallyd not yet acknowledged by the stream")
      .Register(*registry);
  prometheus::Counter& published = prometheus::BuildCounter()
      .Name("tally_relay_published_events_total").Help("Events the stream acknowledged").Register(*registry).Add({});
  prometheus::Counter& retries = prometheus::BuildCounter()
      .Name("tally_relay_publish_retries_total").Help("Pages not fully stored, published again")
      .Register(*registry).Add({});
  prometheus::Counter& source_failures = prometheus::BuildCounter()
      .Name("tally_relay_source_failures_total").Help("Failed reads of a tallyd feed").Register(*registry).Add({});
  std::unique_ptr<prometheus::Exposer> exposer;
  std::mutex mutex;
  std::map<int, Shard> shards;

  Shard& shard(int id) {  // mutex held
    auto [it, made] = shards.try_emplace(id);
    if (made) {
      const std::map<std::string, std::string> labels{{"shard", std::to_string(id)}};
      it->second.acked = &acked_family.Add(labels);
      it->second.seen = &seen_family.Add(labels);
      it->second.lag = &lag_family.Add(labels);
    }
    return it->second;
  }
  void update_lag(Shard& s) {
    s.lag->Set(static_cast<double>(s.seen_seq > s.acked_seq ? s.seen_seq - s.acked_seq : 0));
  }
};

RelayMetrics::RelayMetrics(const std::string& address, int port) : impl_(std::make_unique<Impl>()) {
  if (port == 0) return;
  impl_->exposer = std::make_unique<prometheus::Exposer>(address + ":" + std::to_string(port));
  impl_->exposer->RegisterCollectable(impl_->registry);
}

RelayMetrics::~RelayMetrics() = default;

void RelayMetrics::seen(int shard, std::uint64_t seq) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  Impl::Shard& s = impl_->shard(shard);
  if (seq <= s.seen_seq) return;
  s.seen_seq = seq;
  s.seen->Set(static_cast<double>(seq));
  impl_->update_lag(s);
}

void RelayMetrics::acked(int shard, std::uint64_t seq, std::uint64_t events) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->published.Increment(static_cast<double>(events));
  Impl::Shard& s = impl_->shard(shard);
  if (seq <= s.acked_seq) return;
  s.acked_seq = seq;
  s.acked->Set(static_cast<double>(seq));
  if (s.seen_seq < seq) {
    s.seen_seq = seq;
    s.seen->Set(static_cast<double>(seq));
  }
  impl_->update_lag(s);
}

void RelayMetrics::publish_retry() { impl_->retries.Increment(); }
void RelayMetrics::source_failure() { impl_->source_failures.Increment(); }

}  // namespace tally::relay
