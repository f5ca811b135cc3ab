// Microbenchmarks of the history listing's page reads (actors/tx_timeline): one user with N transactions
// (random timestamps among N/4 instants, so ties too), pages of 100 from random cursors, as GET
// /v1/user/{id}/transactions asks the user's actor for them. The time per page should grow with log N only.
// Run: build/bench/bench-history-page [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "actors/tx_index_arena.hpp"
#include "actors/tx_index_entry.hpp"
#include "actors/tx_timeline.hpp"

namespace tally {
namespace {

struct History {
  tx_index_detail::EntryArena entries;  // as the TxIndex keeps them
  TxTimeline timeline;
};

std::unique_ptr<History> history_of(std::int64_t n) {
  auto h = std::make_unique<History>();
  std::mt19937_64 rng(42);
  TransactionApplied tx;
  tx.user_id = 1;
  for (std::int64_t i = 0; i < n; ++i) {
    tx.uid = "bench-" + std::to_string(i);
    tx.amount = 1 + static_cast<MinorUnits>(rng() % 10'000);
    tx.at = static_cast<UtcMicros>(rng() % static_cast<std::uint64_t>(n / 4 + 1)) * 1'000'000;
    const tx_index_detail::PackedUid uid(tx.uid);
    std::uint32_t offset = 0;
    h->timeline.insert(h->entries.append(tx, uid, 0, offset));
  }
  return h;
}

void BM_PageOf100(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  const std::unique_ptr<History> h = history_of(n);
  std::mt19937_64 rng(7);
  HistoryQuery query;
  query.limit = 100;
  for (auto _ : state) {
    query.after = HistoryPosition{static_cast<UtcMicros>(rng() % static_cast<std::uint64_t>(n / 4 + 1)) * 1'000'000, 0};
    const HistoryPage page = history_page(h->timeline, query);
    benchmark::DoNotOptimize(page.items.data());
  }
  state.SetItemsProcessed(state.iterations());  // pages
  state.counters["timeline_bytes_per_tx"] =
      static_cast<double>(h->timeline.memory_bytes()) / static_cast<double>(n);
}
BENCHMARK(BM_PageOf100)->Arg(1'000)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace tally

BENCHMARK_MAIN();
