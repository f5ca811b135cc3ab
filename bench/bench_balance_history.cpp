// Microbenchmarks of ledger/balance_history (google-benchmark): appends, the queries judge() makes, and the
// bytes a moment that memory_bytes() reports. Run: build/bench/bench-balance-history [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "ledger/balance_history.hpp"

namespace tally {
namespace {

constexpr UtcMicros kStep = 1'000'000;  // one moment a second

BalanceHistory appended(std::int64_t moments) {
  BalanceHistory h;
  for (std::int64_t i = 0; i < moments; ++i) h.insert(i * kStep, i % 3 == 2 ? -5 : 10);
  return h;
}

// One history grown by appends; the time is per insert, bytes_per_moment what the history then holds.
void BM_InsertAppend(benchmark::State& state) {
  const std::int64_t moments = state.range(0);
  for (auto _ : state) {
    BalanceHistory h = appended(moments);
    benchmark::DoNotOptimize(h.balance());
    state.counters["bytes_per_moment"] = static_cast<double>(h.memory_bytes()) / static_cast<double>(moments);
  }
  state.SetItemsProcessed(state.iterations() * moments);
}
BENCHMARK(BM_InsertAppend)->Arg(10)->Arg(1000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

// Many short histories, as most users have: 100k users, ten appends each, round-robin.
void BM_InsertManyUsers(benchmark::State& state) {
  for (auto _ : state) {
    std::vector<BalanceHistory> users(100'000);
    for (int k = 0; k < 10; ++k) {
      for (BalanceHistory& u : users) u.insert(k * kStep, 7);
    }
    benchmark::DoNotOptimize(users.data());
  }
  state.SetItemsProcessed(state.iterations() * 1'000'000);
}
BENCHMARK(BM_InsertManyUsers)->Unit(benchmark::kMillisecond);

// Queries on a 2M-moment history at: 0 = after the newest moment (a transaction stamped now), 1 = up to 64
// moments back (a slightly late one), 2 = anywhere.
UtcMicros query_at(int where, std::int64_t moments, std::mt19937_64& rng) {
  const UtcMicros end = moments * kStep;
  if (where == 0) return end + static_cast<UtcMicros>(rng() % 1000);
  if (where == 1) return end - static_cast<UtcMicros>(rng() % 64) * kStep;
  return static_cast<UtcMicros>(rng() % static_cast<std::uint64_t>(end));
}

void BM_ExtremesFrom(benchmark::State& state) {
  static const BalanceHistory h = appended(2'000'000);
  std::mt19937_64 rng(1);
  for (auto _ : state) {
    const BalanceHistory::Extremes e = h.extremes_from(query_at(static_cast<int>(state.range(0)), 2'000'000, rng));
    benchmark::DoNotOptimize(e);
  }
}
BENCHMARK(BM_ExtremesFrom)->Arg(0)->Arg(1)->Arg(2);

void BM_BalanceAt(benchmark::State& state) {
  static const BalanceHistory h = appended(2'000'000);
  std::mt19937_64 rng(2);
  for (auto _ : state) {
    benchmark::DoNotOptimize(h.balance_at(query_at(static_cast<int>(state.range(0)), 2'000'000, rng)));
  }
}
BENCHMARK(BM_BalanceAt)->Arg(0)->Arg(1)->Arg(2);

}  // namespace
}  // namespace tally

BENCHMARK_MAIN();
